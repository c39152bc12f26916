import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { shippedContent } from "../helpers/content.js";
import { FakePlatform, waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { SECRET, TOKEN, telegramFor, textUpdate } from "./helpers.js";

/** The Bot API, played by a local server: grammY's real HTTP client talks to it. */
describe("Telegram delivery against a local Bot API", () => {
  const api = new FakePlatform();
  let h: Harness;
  const out: { channel?: TelegramChannel } = {};
  const sendPath = `/bot${TOKEN}/sendMessage`;
  const ok = (chat: number) => ({
    status: 200,
    body: { ok: true, result: { message_id: 1, date: 0, chat: { id: chat, type: "private" } } },
  });
  /** The sends to a chat the Bot API accepted (the fake answers 200 unless a test says otherwise). */
  const answeredOk = new Set<unknown>();
  const delivered = (chat: number) =>
    api.to(sendPath).filter((r) => Number((r.body as { chat_id: number }).chat_id) === chat && answeredOk.has(r));

  beforeAll(async () => {
    await api.start((r) => {
      if (r.path === sendPath) {
        answeredOk.add(r);
        return ok((r.body as { chat_id: number }).chat_id);
      }
      return { status: 200, body: { ok: true, result: true } };
    });
    const content = structuredClone(shippedContent());
    // A Vietnamese answer far over Telegram's 4096 characters.
    const words =
      "Hệ thống đang được bảo trì định kỳ để nâng cấp hạ tầng thanh toán, mọi giao dịch sẽ được xử lý lại tự động khi hoàn tất.";
    const promo = content.flows.intents["promotions.news"];
    if (promo?.reply) promo.reply.vi = Array.from({ length: 80 }, (_, i) => `${i + 1}. ${words}`).join(" ");
    h = await harness({ content, makeChannels: telegramFor({ apiRoot: api.url }, out) });
  });
  afterAll(async () => {
    await h.close();
    await api.stop();
  });

  const post = (body: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(body),
    });

  it("waits out a 429's retry_after and delivers the message once", async () => {
    api.times(1, (r) => r.path === sendPath && Number((r.body as { chat_id: number }).chat_id) === 801, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        parameters: { retry_after: 1 },
      },
    });
    const started = Date.now();
    await post(textUpdate(801, "số hotline là gì"));
    await waitFor(
      () => api.to(sendPath).filter((r) => Number((r.body as { chat_id: number }).chat_id) === 801).length >= 2,
      10_000,
    );
    const attempts = api.to(sendPath).filter((r) => Number((r.body as { chat_id: number }).chat_id) === 801);
    expect(attempts).toHaveLength(2);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await new Promise((r) => setTimeout(r, 300));
    expect(api.to(sendPath).filter((r) => Number((r.body as { chat_id: number }).chat_id) === 801)).toHaveLength(2);
    expect(delivered(801)).toHaveLength(1);
  });

  it("does not retry a user who blocked the bot (403) and records it", async () => {
    api.times(5, (r) => r.path === sendPath && Number((r.body as { chat_id: number }).chat_id) === 802, {
      status: 403,
      body: { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" },
    });
    await post(textUpdate(802, "số hotline là gì"));
    await waitFor(() => h.hotro.backend.kv.get("tg:blocked:802"), 5000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(api.to(sendPath).filter((r) => Number((r.body as { chat_id: number }).chat_id) === 802)).toHaveLength(1);
    expect(delivered(802)).toEqual([]);
  });

  it("retries a 500, then a 429, and delivers one message", async () => {
    const chat = 803;
    const mine = (r: { path: string; body: unknown }) =>
      r.path === sendPath && Number((r.body as { chat_id: number }).chat_id) === chat;
    api.times(1, mine, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        parameters: { retry_after: 1 },
      },
    });
    api.times(1, mine, { status: 500, body: { ok: false, error_code: 500, description: "Internal Server Error" } });
    await post(textUpdate(chat, "email hỗ trợ là gì"));
    await waitFor(() => api.to(sendPath).filter(mine).length >= 3, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const tries = api.to(sendPath).filter(mine);
    expect(tries).toHaveLength(3);
    expect(delivered(chat)).toEqual([tries[2]]);
    expect(String((tries[2]?.body as { text?: string } | undefined)?.text)).toContain("support@hotro.example.vn");
  });

  it("splits a Vietnamese reply over 4096 characters into several messages, in order, none cut mid-word", async () => {
    const chat = 804;
    await post(textUpdate(chat, "có chương trình khuyến mãi nào không"));
    await waitFor(() => delivered(chat).length >= 3, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const parts = delivered(chat).map((r) => (r.body as { text: string }).text);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const whole = parts.join(" ");
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    // In order: numbered sentences keep increasing across parts.
    const numbers = [...whole.matchAll(/(\d+)\. Hệ thống/g)].map((m) => Number(m[1]));
    expect(numbers).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    // No part starts or ends inside a word.
    for (const p of parts.slice(0, -1)) expect(p).toMatch(/[\p{L}\p{N}.,:;!?…)]$/u);
    for (const p of parts) expect(p.trim()).toBe(p);
    expect(whole).toContain("tự động khi hoàn tất.");
  });
});
