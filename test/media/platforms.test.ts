import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessengerChannel } from "../../adapters/messenger/channel.js";
import { signatureFor } from "../../adapters/messenger/verify.js";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { ZaloChannel } from "../../adapters/zalo/channel.js";
import { channelDeps } from "../../src/root/compose.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { FakePlatform, type Recorded, waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import {
  delivery,
  SECRET as FB_SECRET,
  TOKEN as FB_TOKEN,
  item,
  SEND_PATH,
  userMessage,
  VERIFY,
} from "../messenger/setup.js";
import { OPS_CHAT, SECRET as TG_SECRET, telegramFor } from "../telegram/helpers.js";
import { FakeZalo, signed, userAttachment, userText, options as zaloOptions } from "../zalo/fake-zalo.js";
import { FakeBotApi, field, upload } from "./fake-bot-api.js";
import { bigPdf, HTML, JPEG, M4A, MP4, PDF, PNG } from "./samples.js";

const API_TOKEN = "media-test-operator-token-0123456789";
const PUBLIC_URL = "https://support.example.vn";
const FB_USER = "6100000000000001";
const ZALO_USER = "7770000000000000042";
const UPLOAD_PATH = "/v21.0/me/message_attachments";

/**
 * Files between Zalo and Messenger users, the operators' group and the console, through the
 * real webhooks and local servers speaking each API (Zalo's CDN and upload endpoints, Meta's
 * CDN, Send API and Attachment Upload API, the Bot API): a Zalo voice note and a Messenger
 * video reach the group by sendVoice and sendVideo uploads; of three files one has expired on
 * the CDN, and the other two still arrive while operators are told which one did not; an
 * operator's photo and PDF from the console reach both users through the platforms' upload
 * APIs; a 30 MB file becomes a signed link; a file the platform refuses is shown failed on
 * its own line with the reason, and the files after it still go.
 */
describe("media with Zalo and Messenger users", () => {
  const bot = new FakeBotApi();
  const graph = new FakePlatform();
  const zalo = new FakeZalo();
  let h: Harness;
  let attachmentIds = 0;

  beforeAll(async () => {
    await bot.begin();
    await graph.start((r) => {
      if (r.path === SEND_PATH) return { body: { recipient_id: FB_USER, message_id: `m_${r.at}` } };
      if (r.path === UPLOAD_PATH) {
        // Meta's Attachment Upload API: `message` (JSON) and the file in `filedata`.
        const message = r.form?.get("message");
        const file = r.form?.get("filedata");
        if (!message || !("value" in message) || !file || !("bytes" in file))
          return { status: 400, body: { error: { message: "(#100) filedata is required", code: 100 } } };
        if (file.filename === "broken.pdf")
          return {
            status: 400,
            body: { error: { message: "(#100) Upload attachment failure", code: 100, error_subcode: 2018047 } },
          };
        return { body: { attachment_id: `${++attachmentIds}000` } };
      }
      if (r.path === "/cdn/clip.mp4") return { body: MP4 };
      if (r.path === "/cdn/receipt.png") return { body: PNG };
      if (r.path === "/cdn/expired.pdf") return { status: 403, body: "URL signature expired" };
      return { body: {} };
    });
    await zalo.start();
    zalo.cdn.set("voice.m4a", M4A);
    const tg: { channel?: TelegramChannel } = {};
    h = await harness({
      env: { OPERATOR_API_TOKEN: API_TOKEN, PUBLIC_URL },
      plugins: [operatorApi],
      makeChannels: (d) => [
        ...telegramFor({ apiRoot: bot.url, operatorsChatId: String(OPS_CHAT) }, tg)(d),
        new MessengerChannel({
          pageAccessToken: FB_TOKEN,
          appSecret: FB_SECRET,
          verifyToken: VERIFY,
          appId: "7777777777",
          graphUrl: `${graph.url}/v21.0`,
          deps: channelDeps(d),
          probe: false,
          profiles: false,
        }),
        new ZaloChannel(zaloOptions(zalo), channelDeps(d)),
      ],
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), tg.channel as TelegramChannel, d, {
          pacing: { burst: 200, intervalMs: 5 },
        }),
    });
  });
  afterAll(async () => {
    await h.close();
    await graph.stop();
    await zalo.stop();
    await bot.stop();
  });

  const auth = { authorization: `Bearer ${API_TOKEN}` };
  const messenger = async (messaging: object) => {
    const raw = JSON.stringify(delivery([messaging]));
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/messenger",
      headers: { "content-type": "application/json", "x-hub-signature-256": signatureFor(raw, FB_SECRET) },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
  };
  const zaloEvent = async (body: Record<string, unknown>) => {
    const { payload, headers } = signed(body);
    expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", headers, payload })).statusCode).toBe(
      200,
    );
  };
  const requestOf = async (channel: string) =>
    waitFor(async () => (await h.hotro.backend.requests.list({ channel }))[0]?.id, 5000, `a ${channel} request`);
  const threadOf = async (id: string) =>
    waitFor(async () => (await h.hotro.backend.requests.get(id))?.ops?.threadId, 5000, `the topic of ${id}`);
  const inTopic = (thread: number, ...methods: string[]) =>
    bot.group(...methods).filter((r) => Number(field(r, "message_thread_id")) === thread);
  const uploadFile = async (bytes: Buffer, name: string) => {
    const res = await h.hotro.app.inject({
      method: "POST",
      url: `/api/media?name=${encodeURIComponent(name)}`,
      headers: { ...auth, "content-type": "application/octet-stream" },
      payload: bytes,
    });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { attachment: { mediaId: string } }).attachment.mediaId;
  };
  const reply = async (id: string, body: object) => {
    const res = await h.hotro.app.inject({
      method: "POST",
      url: `/api/requests/${id}/reply`,
      headers: { ...auth, "content-type": "application/json" },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(202);
  };
  const view = async (id: string) =>
    (await h.hotro.app.inject({ method: "GET", url: `/api/requests/${id}`, headers: auth })).json() as {
      transcript: {
        text: string;
        from: string;
        error?: string;
        attachments?: { type: string; link?: string; error?: string; name?: string }[];
      }[];
    };

  it("a Zalo voice note reaches the group by sendVoice and the console as a player's source", async () => {
    await zaloEvent(userText("cho mình gặp nhân viên", ZALO_USER));
    const id = await requestOf("zalo");
    const thread = await threadOf(id);
    await zaloEvent(
      userAttachment(ZALO_USER, "user_send_audio", {
        type: "audio",
        payload: { url: `${zalo.api.url}/cdn/voice.m4a` },
      }),
    );
    const voice = await waitFor(() => inTopic(thread, "sendVoice")[0], 5000, "the voice note in the topic");
    expect(upload(voice, "voice")?.bytes.equals(M4A)).toBe(true);
    expect(zalo.api.to("/cdn/voice.m4a")).toHaveLength(1);
    const files = (await view(id)).transcript.flatMap((e) => e.attachments ?? []);
    const link = files.find((a) => a.type === "audio")?.link ?? "";
    const got = await h.hotro.app.inject({ method: "GET", url: link });
    expect(got.headers["content-type"]).toBe("audio/mp4");
  });

  it("a Messenger video reaches the group by sendVideo; of three files, one expired on the CDN is named and the other two arrive", async () => {
    await messenger(userMessage(FB_USER, "cho mình gặp nhân viên"));
    const id = await requestOf("messenger");
    const thread = await threadOf(id);
    await messenger(
      item(FB_USER, {
        message: {
          mid: `m_files_${Date.now()}`,
          attachments: [
            { type: "video", payload: { url: `${graph.url}/cdn/clip.mp4` } },
            { type: "file", payload: { url: `${graph.url}/cdn/expired.pdf` } },
            { type: "image", payload: { url: `${graph.url}/cdn/receipt.png` } },
          ],
        },
      }),
    );
    const video = await waitFor(() => inTopic(thread, "sendVideo")[0], 5000, "the video in the topic");
    expect(upload(video, "video")?.bytes.equals(MP4)).toBe(true);
    const photo = await waitFor(() => inTopic(thread, "sendPhoto")[0], 5000, "the picture in the topic");
    expect(upload(photo, "photo")?.bytes.equals(PNG)).toBe(true);
    const note = inTopic(thread, "sendMessage").find((r) => String(field(r, "text")).includes("(HTTP 403)"));
    expect(String(field(note as Recorded, "text"))).toMatch(/Tệp đính kèm 2 .*HTTP 403/);
    // The console shows the two files and says why the third is missing.
    const files = (await view(id)).transcript.flatMap((e) => e.attachments ?? []);
    expect(files.map((a) => [a.type, !!a.link, a.error ?? ""])).toEqual([
      ["video", true, ""],
      ["file", false, "could not fetch the file (HTTP 403)"],
      ["image", true, ""],
    ]);
  });

  it("an operator's photo and PDF from the console reach the Zalo user through Zalo's upload endpoints", async () => {
    const id = await requestOf("zalo");
    const photo = await uploadFile(JPEG, "man-hinh.jpg");
    const pdf = await uploadFile(PDF, "huong-dan.pdf");
    await reply(id, { text: "Bạn xem hướng dẫn nhé", attachments: [photo, pdf] });
    const sent = await waitFor(
      () => (zalo.delivered(ZALO_USER).some((r) => r.raw.includes('"token"')) ? zalo.delivered(ZALO_USER) : undefined),
      5000,
      "the file sent",
    );
    const bodies = sent.map((r) => (r.body as { message: { attachment?: unknown; text?: string } }).message);
    expect(bodies.some((m) => m.text?.includes("Bạn xem hướng dẫn"))).toBe(true);
    expect(bodies).toContainEqual({
      attachment: {
        type: "template",
        payload: { template_type: "media", elements: [{ media_type: "image", attachment_id: "zimage1" }] },
      },
    });
    expect(bodies).toContainEqual({ attachment: { type: "file", payload: { token: "zfile2" } } });
    expect(zalo.uploads.map((u) => [u.kind, u.filename, u.bytes.length])).toEqual([
      ["image", "man-hinh.jpg", JPEG.length],
      ["file", "huong-dan.pdf", PDF.length],
    ]);
  });

  it("an operator's photo and PDF reach the Messenger user through the Attachment Upload API; a 30 MB file becomes a link; one refused file does not stop the others", async () => {
    const id = await requestOf("messenger");
    const photo = await uploadFile(JPEG, "man-hinh.jpg");
    const broken = await uploadFile(PDF, "broken.pdf");
    const big = await uploadFile(bigPdf(30), "sao-ke.pdf");
    const pdf = await uploadFile(PDF, "huong-dan.pdf");
    await reply(id, { attachments: [photo, broken, big, pdf] });
    const sends = () => graph.to(SEND_PATH).filter((r) => (r.body as { message?: unknown }).message !== undefined);
    await waitFor(
      () => sends().filter((r) => JSON.stringify(r.body).includes("attachment_id")).length >= 2,
      5000,
      "two files sent",
    );
    const uploads = graph.to(UPLOAD_PATH);
    const sentFiles = uploads.map((r) => {
      const f = r.form?.get("filedata");
      return f && "bytes" in f ? [f.filename, f.type, f.bytes.length] : [];
    });
    expect(sentFiles).toContainEqual(["man-hinh.jpg", "image/jpeg", JPEG.length]);
    expect(sentFiles).toContainEqual(["huong-dan.pdf", "application/pdf", PDF.length]);
    const first = uploads[0]?.form?.get("message");
    expect(JSON.parse(first && "value" in first ? first.value : "null")).toEqual({
      attachment: { type: "image", payload: { is_reusable: true } },
    });
    // 30 MB is more than Messenger takes (25 MB): the user gets a signed link instead, never the bytes.
    const link = await waitFor(
      () => sends().find((r) => JSON.stringify(r.body).includes(`${PUBLIC_URL}/media/`)),
      5000,
      "the link to the large file",
    );
    expect(String((link.body as { message: { text: string } }).message.text)).toMatch(
      /sao-ke\.pdf \(30 MB\): https:\/\/support\.example\.vn\/media\/[A-Za-z0-9_-]+\?e=\d+&s=/,
    );
    expect(sentFiles.some((f) => f[0] === "sao-ke.pdf")).toBe(false);
    // The refused one is marked on its own line in the console, with Meta's reason.
    const lines = await waitFor(
      async () => {
        const t = (await view(id)).transcript.filter((e) => e.from === "operator" && e.attachments?.length);
        return t.some((e) => e.error) ? t : undefined;
      },
      5000,
      "the failure in the console",
    );
    expect(lines.map((e) => [e.attachments?.[0]?.name, e.error ? "failed" : "ok"])).toEqual([
      ["man-hinh.jpg", "ok"],
      ["broken.pdf", "failed"],
      ["sao-ke.pdf", "ok"],
      ["huong-dan.pdf", "ok"],
    ]);
    expect(lines[1]?.error).toMatch(/Upload attachment failure/);
    // Never a token or a link's signature in the log.
    const log = h.logs.join("\n");
    expect(log).not.toContain(FB_TOKEN);
    expect(log).not.toMatch(/[?&]s=[A-Za-z0-9_-]{20,}/);
  });

  it("a photo and a PDF an operator posts in the Telegram topic reach the Zalo and the Messenger user by the platforms' uploads", async () => {
    bot.files.set("grp-photo", JPEG);
    bot.files.set("grp-pdf", PDF);
    const post = (update: object) =>
      h.hotro.app.inject({
        method: "POST",
        url: "/webhooks/telegram",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
        payload: JSON.stringify(update),
      });
    let n = 0;
    const inTopicUpdate = (thread: number, fields: object) => ({
      update_id: 880000 + ++n,
      message: {
        message_id: 7700 + n,
        date: Math.floor(Date.now() / 1000),
        chat: { id: OPS_CHAT, type: "supergroup", title: "Ops", is_forum: true },
        from: { id: 555, is_bot: false, first_name: "Lan" },
        message_thread_id: thread,
        is_topic_message: true,
        reply_to_message: {
          message_id: thread,
          date: 0,
          chat: { id: OPS_CHAT, type: "supergroup" },
          forum_topic_created: { name: "x", icon_color: 0 },
        },
        ...fields,
      },
    });
    const zaloThread = await threadOf(await requestOf("zalo"));
    const fbThread = await threadOf(await requestOf("messenger"));
    const zaloUploads = zalo.uploads.length;
    const fbUploads = graph.to(UPLOAD_PATH).length;
    for (const thread of [zaloThread, fbThread]) {
      await post(
        inTopicUpdate(thread, { photo: [{ file_id: "grp-photo", file_unique_id: "gp", width: 10, height: 10 }] }),
      );
      await post(
        inTopicUpdate(thread, {
          document: {
            file_id: "grp-pdf",
            file_unique_id: "gd",
            file_name: "bang-gia.pdf",
            mime_type: "application/pdf",
          },
        }),
      );
    }
    await waitFor(() => zalo.uploads.length >= zaloUploads + 2, 5000, "two uploads to Zalo");
    expect(zalo.uploads.slice(zaloUploads).map((u) => [u.kind, u.bytes.length])).toEqual([
      ["image", JPEG.length],
      ["file", PDF.length],
    ]);
    await waitFor(
      () => zalo.delivered(ZALO_USER).some((r) => r.raw.includes(`"token":"zfile${zaloUploads + 2}"`)),
      5000,
      "the PDF to Zalo",
    );
    await waitFor(() => graph.to(UPLOAD_PATH).length >= fbUploads + 2, 5000, "two uploads to Messenger");
    const names = graph
      .to(UPLOAD_PATH)
      .slice(fbUploads)
      .map((r) => {
        const f = r.form?.get("filedata");
        return f && "bytes" in f ? f.type : "";
      });
    expect(names).toEqual(["image/jpeg", "application/pdf"]);
  });

  it("an HTML file is stored as a download, never served inline", async () => {
    const id = await uploadFile(HTML, "trang.html");
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/api/media?name=x.svg",
      headers: { ...auth, "content-type": "image/svg+xml" },
      payload: Buffer.from("<svg onload=alert(1)>"),
    });
    expect(res.statusCode).toBe(201);
    for (const link of [
      (res.json() as { url: string }).url,
      (
        (
          await h.hotro.app.inject({
            method: "POST",
            url: "/api/media?name=t.html",
            headers: { ...auth, "content-type": "text/html" },
            payload: HTML,
          })
        ).json() as { url: string }
      ).url,
    ]) {
      const got = await h.hotro.app.inject({ method: "GET", url: link });
      expect(got.headers["content-type"]).toBe("application/octet-stream");
      expect(got.headers["content-disposition"]).toMatch(/^attachment/);
      expect(got.headers["content-security-policy"]).toContain("sandbox");
    }
    expect(id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });
});
