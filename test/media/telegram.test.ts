import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { media, OPS_CHAT, operatorUpdate, SECRET, telegramFor, textUpdate } from "../telegram/helpers.js";
import { FakeBotApi, field, upload } from "./fake-bot-api.js";
import { JPEG, OGG, PDF } from "./samples.js";

const API_TOKEN = "media-test-operator-token-0123456789";
const USER = 4242;

/**
 * Files between a Telegram user, the operators' group and the console, through the real
 * webhook and a local Bot API: a user's document and voice note are fetched once (getFile
 * and the file path), kept, and posted to the group by multipart upload with sendDocument
 * and sendVoice; the console opens them through signed links; a photo an operator posts in
 * the topic and a PDF uploaded in the console reach the user by upload.
 */
describe("media with Telegram users and the operators' group", () => {
  const api = new FakeBotApi();
  let h: Harness;
  let requestId = "";
  let thread = 0;

  beforeAll(async () => {
    await api.begin();
    const tg: { channel?: TelegramChannel } = {};
    h = await harness({
      env: { OPERATOR_API_TOKEN: API_TOKEN },
      plugins: [operatorApi],
      makeChannels: telegramFor({ apiRoot: api.url, operatorsChatId: String(OPS_CHAT) }, tg),
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), tg.channel as TelegramChannel, d, {
          pacing: { burst: 100, intervalMs: 5 },
        }),
    });
    await post(textUpdate(USER, "cho mình gặp nhân viên"));
    const topic = await waitFor(() => api.calls("createForumTopic")[0], 5000, "a topic");
    thread = 301;
    expect(String(field(topic, "name"))).toContain("HT-");
    requestId = String(field(topic, "name")).split(" ")[0] ?? "";
  });
  afterAll(async () => {
    await h.close();
    await api.stop();
  });

  const post = (update: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(update),
    });
  const auth = { authorization: `Bearer ${API_TOKEN}` };

  it("posts a user's document with sendDocument and a voice note with sendVoice, by upload", async () => {
    api.files.set("doc-1", PDF);
    api.files.set("voice-1", OGG);
    await post(
      media(USER, {
        document: {
          file_id: "doc-1",
          file_unique_id: "ud1",
          file_name: "hoa-don.pdf",
          mime_type: "application/pdf",
          file_size: PDF.length,
        },
        caption: "hóa đơn của mình",
      }),
    );
    await post(
      media(USER, {
        voice: {
          file_id: "voice-1",
          file_unique_id: "uv1",
          duration: 3,
          mime_type: "audio/ogg",
          file_size: OGG.length,
        },
      }),
    );

    const doc = await waitFor(() => api.group("sendDocument")[0], 5000, "the document in the group");
    expect(upload(doc, "document")?.bytes.equals(PDF)).toBe(true);
    expect(upload(doc, "document")?.filename).toBe("hoa-don.pdf");
    expect(Number(field(doc, "message_thread_id"))).toBe(thread);
    const voice = await waitFor(() => api.group("sendVoice")[0], 5000, "the voice note in the group");
    expect(upload(voice, "voice")?.bytes.equals(OGG)).toBe(true);
    // Fetched once each, from the file path getFile gave (the download URL carries the token).
    expect(api.calls("getFile").map((r) => field(r, "file_id"))).toEqual(["doc-1", "voice-1"]);
    expect(api.to(/^\/file\/bot/).length).toBe(2);
    // Never by file id or URL with the wrong method (Telegram's "type of file mismatch").
    expect(api.group("sendDocument").length).toBe(1);
    expect(h.logs.join("\n")).not.toContain("/file/bot");
  });

  it("posts a shared place with sendLocation, and names a 30 MB document Telegram will not let a bot download", async () => {
    api.files.set("huge", Buffer.alloc(1));
    await post(media(USER, { location: { latitude: 10.7769, longitude: 106.7009 } }));
    await post(
      media(USER, {
        document: {
          file_id: "huge",
          file_unique_id: "uh",
          file_name: "sao-ke-nam.pdf",
          mime_type: "application/pdf",
          file_size: 30 * 1024 * 1024,
        },
      }),
    );
    const place = await waitFor(() => api.group("sendLocation")[0], 5000, "the place in the group");
    expect([Number(field(place, "latitude")), Number(field(place, "longitude"))]).toEqual([10.7769, 106.7009]);
    const note = await waitFor(
      () => api.group("sendMessage").find((r) => String(field(r, "text")).includes("sao-ke-nam.pdf")),
      5000,
      "the note about the large file",
    );
    expect(String(field(note, "text"))).toContain("30 MB, Telegram lets bots download up to 20 MB");
    // Refused from the size the update gave: never asked for.
    expect(api.calls("getFile").some((r) => field(r, "file_id") === "huge")).toBe(false);
  });

  it("shows the files in the console through signed links, and refuses a link that was tampered with", async () => {
    const res = await h.hotro.app.inject({ method: "GET", url: `/api/requests/${requestId}`, headers: auth });
    expect(res.statusCode).toBe(200);
    const files = (
      res.json().transcript as {
        attachments?: { type: string; link?: string; mime?: string; url?: string; voice?: boolean }[];
      }[]
    ).flatMap((e) => e.attachments ?? []);
    const pdf = files.find((a) => a.mime === "application/pdf");
    const voice = files.find((a) => a.voice);
    expect(pdf?.link).toMatch(/^\/media\/[A-Za-z0-9_-]+\?e=\d+&s=/);
    expect(files.every((a) => a.url === undefined)).toBe(true);
    const got = await h.hotro.app.inject({ method: "GET", url: pdf?.link ?? "" });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(PDF)).toBe(true);
    // A PDF downloads; nothing but pictures, sound and video is shown inline.
    expect(got.headers["content-disposition"]).toMatch(/^attachment; filename="hoa-don.pdf"/);
    expect(got.headers["x-content-type-options"]).toBe("nosniff");
    const sound = await h.hotro.app.inject({ method: "GET", url: voice?.link ?? "" });
    expect(sound.headers["content-type"]).toBe("audio/ogg");
    expect(sound.headers["content-disposition"]).toMatch(/^inline/);
    const forged = (pdf?.link ?? "").replace(/s=[^&]+/, "s=AAAA");
    expect((await h.hotro.app.inject({ method: "GET", url: forged })).statusCode).toBe(403);
    const expired = (pdf?.link ?? "").replace(/e=\d+/, "e=1000");
    expect((await h.hotro.app.inject({ method: "GET", url: expired })).statusCode).toBe(403);
  });

  it("sends a photo an operator posts in the topic to the user with sendPhoto, by upload", async () => {
    api.files.set("ops-pic", JPEG);
    const update = operatorUpdate("", { threadId: thread }) as unknown as { message: Record<string, unknown> };
    delete update.message.text;
    update.message.photo = [
      { file_id: "ops-pic", file_unique_id: "uop", width: 800, height: 600, file_size: JPEG.length },
    ];
    update.message.caption = "Bạn làm theo hình này nhé";
    await post(update as unknown as Update);
    const caption = await waitFor(
      () =>
        api
          .calls("sendMessage")
          .find((r) => Number(field(r, "chat_id")) === USER && String(field(r, "text")).includes("theo hình này")),
      5000,
      "the caption to the user",
    );
    expect(caption).toBeTruthy();
    const photo = await waitFor(
      () => api.calls("sendPhoto").find((r) => Number(field(r, "chat_id")) === USER),
      5000,
      "the photo to the user",
    );
    expect(upload(photo, "photo")?.bytes.equals(JPEG)).toBe(true);
  });

  it("sends a PDF uploaded in the console to the user with sendDocument, and shows it in the topic", async () => {
    const up = await h.hotro.app.inject({
      method: "POST",
      url: "/api/media?name=huong-dan.pdf",
      headers: { ...auth, "content-type": "application/octet-stream" },
      payload: PDF,
    });
    expect(up.statusCode).toBe(201);
    const { attachment } = up.json() as { attachment: { mediaId: string; type: string; mime: string } };
    expect(attachment).toMatchObject({ type: "file", mime: "application/pdf" });
    const sent = await h.hotro.app.inject({
      method: "POST",
      url: `/api/requests/${requestId}/reply`,
      headers: { ...auth, "content-type": "application/json" },
      payload: { attachments: [attachment.mediaId] },
    });
    expect(sent.statusCode).toBe(202);
    const toUser = await waitFor(
      () => api.calls("sendDocument").find((r) => Number(field(r, "chat_id")) === USER),
      5000,
      "the PDF to the user",
    );
    expect(upload(toUser, "document")?.bytes.equals(PDF)).toBe(true);
    expect(upload(toUser, "document")?.filename).toBe("huong-dan.pdf");
    await waitFor(() => api.group("sendDocument").length === 2, 5000, "the PDF in the topic too");
  });
});
