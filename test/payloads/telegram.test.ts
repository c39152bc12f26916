import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { DEDUPE_TTL_MS, MAX_EVENT_AGE_MS } from "../../src/queue/dedupe.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { apply, mutations, processingErrors, touches } from "../helpers/mutate.js";
import {
  type Call,
  callbackUpdate,
  file,
  media,
  recorder,
  SECRET,
  telegramFor,
  textUpdate,
} from "../telegram/helpers.js";

/** The update shapes the Telegram tests use (test/telegram), rebuilt with fresh ids for every mutant. */
const FIXTURES: Record<string, (chat: number) => Update> = {
  text: (chat) => textUpdate(chat, "xin chào"),
  start: (chat) => textUpdate(chat, "/start from_fanpage"),
  callback: (chat) => callbackUpdate(chat, "intent:contact.hotline"),
  photo: (chat) => media(chat, { caption: "ảnh lỗi", photo: [file("small"), file("large")] }),
  document: (chat) =>
    media(chat, { document: { ...file("doc"), file_name: "sao-ke.pdf", mime_type: "application/pdf" } }),
  contact: (chat) => media(chat, { contact: { phone_number: "0901234567", first_name: "Minh", user_id: chat } }),
  location: (chat) => media(chat, { location: { latitude: 10.77, longitude: 106.7 } }),
};

describe("Telegram webhook: any JSON shape", () => {
  let h: Harness;
  const calls: Call[] = [];
  const out: { channel?: TelegramChannel } = {};
  let chat = 40_000;
  const post = (body: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(body),
    });
  const sent = (chatId: number) =>
    calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === chatId);

  beforeAll(async () => {
    h = await harness({ makeChannels: telegramFor({ transformers: [recorder(calls)] }, out) });
  });
  afterAll(() => h.close());

  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name}: every field mutated → never a 5xx, and the bot still answers afterwards`, async () => {
      const failures: string[] = [];
      for (const m of mutations(make(0))) {
        const body = make(++chat);
        // A mutant keeps the fixture's fresh update_id unless the update_id is what it mutates.
        const mutant = touches(m, ["update_id"]) ? apply(make(++chat), m) : apply(body, m);
        const res = await post(mutant);
        if (res.statusCode >= 500 || ![200, 400].includes(res.statusCode))
          failures.push(`${m.label} → ${res.statusCode}`);
      }
      expect(failures).toEqual([]);
      const b = h.hotro.backend;
      await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 15_000, "idle");
      expect(processingErrors(h.logs)).toEqual([]);
      const ok = ++chat;
      expect((await post(textUpdate(ok, "số hotline là gì"))).statusCode).toBe(200);
      const [reply] = await waitFor(() => (sent(ok).length ? sent(ok) : undefined));
      expect(String(reply?.payload.text)).toContain("1900 6868");
    });
  }

  it("a field nested 200,000 levels deep → 200, and the bot still answers", async () => {
    const c = ++chat;
    const u = JSON.stringify(textUpdate(c, "số hotline là gì"));
    const payload = `${u.slice(0, -2)},"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}}`;
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload,
    });
    expect(res.statusCode).toBe(200);
    await waitFor(() => sent(c).length > 0);
  });

  it("never writes a mutant's words to the log", () => {
    expect(h.logs.join("")).not.toContain("ảnh lỗi");
  });

  describe("messages older than the dedupe window", () => {
    const staleLines = () => h.logs.filter((l) => l.includes("older than the dedupe window"));
    const dated = (chatId: number, text: string, ms: number) => {
      const u = textUpdate(chatId, text);
      (u.message as { date: number }).date = Math.floor(ms / 1000);
      return u;
    };

    it("an old message is acknowledged, logged once without its words, and never answered", async () => {
      const c = ++chat;
      const before = staleLines().length;
      expect((await post(dated(c, "số hotline là gì", Date.now() - DEDUPE_TTL_MS))).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(sent(c)).toHaveLength(0);
      expect(await h.hotro.backend.sessions.get(`telegram:${c}`)).toBeUndefined();
      const lines = staleLines().slice(before);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 30 });
      expect(lines[0]).not.toContain("hotline");
    });

    it("a message just inside the window is answered, and its redelivery is still deduped", async () => {
      const c = ++chat;
      const before = staleLines().length;
      const u = dated(c, "số hotline là gì", Date.now() - MAX_EVENT_AGE_MS + 60_000);
      expect((await post(u)).statusCode).toBe(200);
      await waitFor(() => sent(c).length > 0);
      expect((await post(u)).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(sent(c)).toHaveLength(1);
      expect(staleLines()).toHaveLength(before);
    });

    it("a fresh message is answered", async () => {
      const c = ++chat;
      expect((await post(textUpdate(c, "số hotline là gì"))).statusCode).toBe(200);
      await waitFor(() => sent(c).length > 0);
    });
  });
});
