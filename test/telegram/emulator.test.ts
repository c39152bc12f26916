import type { Transformer } from "grammy";
import TelegramServerModule from "telegram-test-api";
import type { TelegramServer as TelegramServerType } from "telegram-test-api/lib/telegramServer.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness } from "../helpers/harness.js";
import { TOKEN, telegramFor } from "./helpers.js";

// The package is CommonJS with a default export (notes/telegram.md §4b).
const TelegramServer = ((TelegramServerModule as unknown as { default?: unknown }).default ??
  TelegramServerModule) as unknown as typeof TelegramServerType;

interface BotMessage {
  message: {
    text?: string;
    reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] };
    message_id?: number;
  };
  messageId?: number;
}

/**
 * End to end against telegram-test-api, a Telegram Bot API emulator, in polling mode (the
 * emulator never sends the webhook secret header). The bot runs the real grammY client.
 */
describe("Telegram end to end (telegram-test-api)", () => {
  let server: TelegramServerType;
  let h: Harness;

  beforeAll(async () => {
    server = new TelegramServer({ port: 0, host: "127.0.0.1", storage: "RAM", storeTimeout: 60 } as never);
    await server.start();
    const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
    const apiRoot = `http://127.0.0.1:${address.port}`;
    // The emulator answers getUpdates at once even when empty: pause between empty polls.
    const calmPolling: Transformer = (async (prev, method, payload, signal) => {
      const r = await prev(method, payload, signal);
      if (
        method === "getUpdates" &&
        Array.isArray((r as { result?: unknown[] }).result) &&
        (r as { result: unknown[] }).result.length === 0
      ) {
        await new Promise((done) => setTimeout(done, 50));
      }
      return r;
    }) as Transformer;
    h = await harness({ makeChannels: telegramFor({ mode: "polling", apiRoot, transformers: [calmPolling] }, {}) });
  });
  afterAll(async () => {
    await h.close();
    await server.stop();
  });

  it("says hello, shows the menu, takes a tapped quick reply and completes the request form", async () => {
    const client = server.getClient(TOKEN, {
      timeout: 5000,
      interval: 50,
      chatId: 4242,
      userId: 4242,
      firstName: "Lan",
      type: "private",
    } as never);
    const received: BotMessage[] = [];
    const until = async (pred: (all: BotMessage[]) => boolean) => {
      const deadline = Date.now() + 8000;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`bot said: ${received.map((m) => m.message.text).join(" | ")}`);
        try {
          const r = (await client.getUpdates()) as unknown as { result: BotMessage[] };
          received.push(...r.result);
        } catch {
          // nothing new yet
        }
      }
    };
    const said = (text: string) => (all: BotMessage[]) => all.some((m) => m.message.text?.includes(text));

    await client.sendMessage(client.makeMessage("xin chào"));
    await until(said("Xin chào"));
    const menu = received.find((m) => m.message.text?.includes("Xin chào"));
    const buttons = menu?.message.reply_markup?.inline_keyboard?.flat() ?? [];
    expect(buttons.map((b) => b.text)).toEqual(
      expect.arrayContaining(["Kênh liên hệ", "Gửi yêu cầu hỗ trợ", "Gặp nhân viên"]),
    );

    const file = buttons.find((b) => b.text === "Gửi yêu cầu hỗ trợ");
    await client.sendCallback(
      client.makeCallbackQuery(file?.callback_data ?? "", { message: { message_id: menu?.messageId ?? 1 } } as never),
    );
    await until(said("Tên tài khoản"));

    for (const [answer, next] of [
      ["lan_tran", "mô tả"],
      ["chuyển tiền cho bạn bị trừ tiền nhưng bạn chưa nhận", "lúc nào"],
      ["khoảng 9h sáng nay", "ảnh chụp màn hình"],
      ["bỏ qua", "HT-000001"],
    ] as const) {
      await client.sendMessage(client.makeMessage(answer));
      await until(said(next));
    }
    const [request] = await h.hotro.backend.requests.list({ conv: "telegram:4242" });
    expect(request).toMatchObject({
      id: "HT-000001",
      channel: "telegram",
      intent: "ticket.create",
      displayName: "Lan",
    });
  });
});
