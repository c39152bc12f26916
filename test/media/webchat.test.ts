import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import type { Entry } from "../../adapters/webchat/types.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { waitFor } from "../helpers/fake-platform.js";
import { OPS_CHAT, telegramFor } from "../telegram/helpers.js";
import { type Chat, Client, startChat } from "../webchat/helpers.js";
import { FakeBotApi, field, upload } from "./fake-bot-api.js";
import { HTML, PDF, PNG } from "./samples.js";

const API_TOKEN = "media-test-operator-token-0123456789";

/**
 * The live chat's files over real HTTP and a real WebSocket: a visitor uploads a picture with
 * their own credentials (limits enforced on the server too), sends it, and sees it; the
 * operators' group gets it by sendPhoto upload; nobody else can attach it; an operator's
 * PDF from the console reaches the visitor as a signed link that downloads.
 */
describe("files in the live chat", () => {
  const bot = new FakeBotApi();
  let s: Chat;

  beforeAll(async () => {
    await bot.begin();
    const tg: { channel?: TelegramChannel } = {};
    s = await startChat({
      harness: {
        env: { OPERATOR_API_TOKEN: API_TOKEN },
        plugins: [operatorApi],
        makeOperators: (d) =>
          telegramOperators(String(OPS_CHAT), tg.channel as TelegramChannel, d, {
            pacing: { burst: 200, intervalMs: 5 },
          }),
      },
      channels: (d) => telegramFor({ apiRoot: bot.url, operatorsChatId: String(OPS_CHAT) }, tg)(d),
    });
  });
  afterAll(async () => {
    await s.close();
    await bot.stop();
  });

  const put = (bytes: Buffer, creds: { visitor: string; secret?: string | undefined }, name = "loi.png") =>
    fetch(`${s.url}/webchat/upload?name=${encodeURIComponent(name)}&lang=vi`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "x-hotro-visitor": creds.visitor,
        "x-hotro-secret": creds.secret ?? "",
      },
      body: new Uint8Array(bytes),
    });

  it("a visitor's picture is kept as theirs, shown to them, and posted to the group by sendPhoto", async () => {
    const config = (await (await fetch(`${s.url}/webchat/config?lang=vi`)).json()) as {
      upload: { maxBytes: number };
      texts: Record<string, string>;
    };
    expect(config.upload.maxBytes).toBe(10 * 1024 * 1024);
    expect(config.texts.attach_limits).toContain("{max} MB");

    const me = await Client.hello(s.url);
    me.c.send({ type: "message", id: "m1", text: "cho mình gặp nhân viên" });
    await me.c.next((f) => f.type === "message" && (f.entry.text ?? "").includes("HT-000001"));
    const requestId = "HT-000001";
    const thread = await waitFor(
      async () => (await s.h.hotro.backend.requests.get(requestId))?.ops?.threadId,
      5000,
      "topic",
    );

    // Refused: someone else's credentials, a type that is not a picture or document, too large.
    expect((await put(PNG, { visitor: me.visitor, secret: "x".repeat(43) })).status).toBe(401);
    const html = await put(HTML, me, "trang.html");
    expect(html.status).toBe(415);
    expect(((await html.json()) as { message: string }).message).toContain("tối đa 10 MB");
    const big = await put(Buffer.alloc(11 * 1024 * 1024, 1), me, "to.pdf");
    expect(big.status).toBe(413);
    expect(((await big.json()) as { message: string }).message).toBe("Tệp to.pdf lớn hơn 10 MB.");

    const res = await put(PNG, me);
    expect(res.status).toBe(201);
    const { attachment } = (await res.json()) as { attachment: { mediaId: string; type: string } };
    expect(attachment.type).toBe("image");

    // Another visitor cannot attach it by its id.
    const other = await Client.hello(s.url);
    other.c.send({ type: "message", id: "x1", text: "", attachments: [attachment.mediaId] });
    await other.c.next((f) => f.type === "error" && f.id === "x1");

    me.c.send({ type: "message", id: "m2", text: "ảnh lỗi đây", attachments: [attachment.mediaId] });
    const ack = await me.c.next((f) => f.type === "ack" && f.id === "m2");
    const file = (ack as { entry: Entry }).entry.files?.[0];
    expect(file).toMatchObject({ type: "image", name: "loi.png" });
    const shown = await fetch(`${s.url}${file?.link}`);
    expect(shown.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await shown.arrayBuffer()).equals(PNG)).toBe(true);

    const photo = await waitFor(
      () => bot.group("sendPhoto").find((r) => Number(field(r, "message_thread_id")) === thread),
      5000,
      "the picture in the topic",
    );
    expect(upload(photo, "photo")?.bytes.equals(PNG)).toBe(true);

    // The operator's PDF from the console reaches the visitor as a link that downloads.
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const up = await s.h.hotro.app.inject({
      method: "POST",
      url: "/api/media?name=huong-dan.pdf",
      headers: { ...auth, "content-type": "application/pdf" },
      payload: PDF,
    });
    const mediaId = (up.json() as { attachment: { mediaId: string } }).attachment.mediaId;
    const from = me.c.frames.length;
    const sent = await s.h.hotro.app.inject({
      method: "POST",
      url: `/api/requests/${requestId}/reply`,
      headers: { ...auth, "content-type": "application/json" },
      payload: { attachments: [mediaId] },
    });
    expect(sent.statusCode).toBe(202);
    const got = await me.c.next((f) => f.type === "message" && !!f.entry.files?.length, 5000, from);
    const pdf = (got as { entry: Entry }).entry.files?.[0];
    expect(pdf).toMatchObject({ type: "file", name: "huong-dan.pdf", size: PDF.length });
    const download = await fetch(`${s.url}${pdf?.link}`);
    expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="huong-dan.pdf"/);
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
    me.c.close();
    other.c.close();
  });
});
