import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { type Call, callbackUpdate, recorder, SECRET, telegramFor, textUpdate } from "./helpers.js";

describe("Telegram webhook", () => {
  let h: Harness;
  const calls: Call[] = [];
  const out: { channel?: TelegramChannel } = {};
  const post = (body: unknown, secret: string | null = SECRET) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: {
        "content-type": "application/json",
        ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }),
      },
      payload: JSON.stringify(body),
    });
  const sent = (chatId: number) =>
    calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === chatId);

  beforeAll(async () => {
    h = await harness({ makeChannels: telegramFor({ transformers: [recorder(calls)] }, out) });
  });
  afterAll(() => h.close());

  it("refuses a wrong or missing secret with 401 and processes nothing", async () => {
    expect((await post(textUpdate(700, "xin chào"), null)).statusCode).toBe(401);
    expect((await post(textUpdate(700, "xin chào"), "wrong-secret")).statusCode).toBe(401);
    expect((await post(textUpdate(700, "xin chào"), `${SECRET}x`)).statusCode).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(sent(700)).toHaveLength(0);
    expect(await h.hotro.backend.inbox.pending()).toBe(0);
  });

  it("answers a text message with the menu as an inline keyboard", async () => {
    expect((await post(textUpdate(701, "xin chào"))).statusCode).toBe(200);
    const [reply] = await waitFor(() => (sent(701).length ? sent(701) : undefined));
    expect(reply?.payload.text).toContain("Xin chào");
    type Markup = { inline_keyboard: { text: string; callback_data: string }[][] };
    const keyboard = (reply?.payload.reply_markup as Markup | undefined)?.inline_keyboard ?? [];
    expect(keyboard.flat().map((b) => b.text)).toContain("Gặp nhân viên");
    for (const b of keyboard.flat()) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
  });

  it("answers the same update_id once", async () => {
    const u = textUpdate(702, "số hotline là gì");
    expect((await post(u)).statusCode).toBe(200);
    expect((await post(u)).statusCode).toBe(200);
    await waitFor(() => sent(702).length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sent(702)).toHaveLength(1);
  });

  it("routes a tapped button as a postback and always answers the callback query", async () => {
    await post(callbackUpdate(703, "intent:contact.hotline"));
    const [reply] = await waitFor(() => (sent(703).length ? sent(703) : undefined));
    expect(reply?.payload.text).toContain("1900 6868");
    await waitFor(() => calls.some((c) => c.method === "answerCallbackQuery"));
  });

  it("greets on /start with a deep-link payload", async () => {
    await post(textUpdate(704, "/start from_fanpage"));
    const [reply] = await waitFor(() => (sent(704).length ? sent(704) : undefined));
    expect(reply?.payload.text).toContain("Xin chào");
  });

  it("takes the largest photo size as the attachment and a shared contact as a phone number", async () => {
    // Open the request form, then answer the screenshot question with a photo.
    for (const t of ["mình muốn gửi yêu cầu hỗ trợ", "minh_99", "nạp tiền không vào tài khoản", "hôm qua"]) {
      await post(textUpdate(705, t));
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => sent(705).some((c) => String(c.payload.text).includes("ảnh")));
    const photo = {
      update_id: 990001,
      message: {
        message_id: 9,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 705, type: "private", first_name: "Minh" },
        from: { id: 705, is_bot: false, first_name: "Minh" },
        photo: [
          { file_id: "small", file_unique_id: "s", width: 90, height: 90 },
          { file_id: "large", file_unique_id: "l", width: 1280, height: 1280 },
        ],
      },
    };
    await post(photo);
    await waitFor(() => sent(705).some((c) => String(c.payload.text).includes("HT-")));
    const [req] = await h.hotro.backend.requests.list({ conv: "telegram:705" });
    expect(Object.values(req?.fields ?? {})).toContain("file:large");
  });

  it("ignores group and channel updates (acknowledged, not answered)", async () => {
    const group = textUpdate(-100200, "xin chào");
    (group.message as { chat: { type: string } }).chat.type = "supergroup";
    expect((await post(group)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(sent(-100200)).toHaveLength(0);
  });

  it("refuses a body that is not an update with 400", async () => {
    expect((await post({ hello: "world" })).statusCode).toBe(400);
    const raw = await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: "{not json",
    });
    expect(raw.statusCode).toBe(400);
  });

  it("keeps payloads over 64 bytes server-side behind a short callback_data", async () => {
    const long = `intent:contact.hotline#${"x".repeat(80)}`;
    const ch = out.channel;
    if (!ch) throw new Error("no channel");
    const r = await ch.send({
      kind: "send",
      channel: "telegram",
      userId: "706",
      conv: "telegram:706",
      message: { text: "Chọn", quickReplies: [{ label: "Hotline", payload: long }] },
    });
    expect(r.ok).toBe(true);
    const last = sent(706).at(-1);
    type Markup = { inline_keyboard: { callback_data: string }[][] };
    const data = (last?.payload.reply_markup as Markup | undefined)?.inline_keyboard[0]?.[0]?.callback_data ?? "";
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(data.startsWith("k:")).toBe(true);
    expect(await h.hotro.backend.kv.get(`tgcb:${data}`)).toBe(long);
  });
});
