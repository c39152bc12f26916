import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { DEDUPE_TTL_MS } from "../../src/queue/dedupe.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { apply, mutations, processingErrors } from "../helpers/mutate.js";
import {
  type Call,
  OPS_CHAT,
  operatorButton,
  operatorUpdate,
  recorder,
  SECRET,
  telegramFor,
  textUpdate,
} from "../telegram/helpers.js";

/**
 * Updates from the operators' group are recorded first and read later, in the inbox's "ops"
 * lane: a mutant that threw there would be retried and then parked, holding every operator
 * action behind it. Every mutant must be acknowledged, and the next valid one processed at once.
 */
describe("operators' group: any JSON shape", () => {
  const USER = 9101;
  const calls: Call[] = [];
  let h: Harness;
  let thread = 0;
  let card = 0;
  const post = (body: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(body),
    });
  const toUser = () => calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === USER);
  const toGroup = () => calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === OPS_CHAT);

  beforeAll(async () => {
    const out: { channel?: TelegramChannel } = {};
    h = await harness({
      makeChannels: telegramFor(
        { transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) },
        out,
      ),
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), out.channel as TelegramChannel, d, {
          pacing: { burst: 1000, intervalMs: 1 },
        }),
    });
    await post(textUpdate(USER, "cho mình gặp nhân viên với"));
    const topic = await waitFor(() => calls.find((c) => c.method === "createForumTopic"));
    const posted = await waitFor(() => toGroup().find((c) => String(c.payload.text).includes("HT-000001")));
    thread = Number(posted.payload.message_thread_id);
    card = Number(posted.payload._message_id);
    expect(String(topic.payload.name)).toMatch(/^HT-000001 · /);
  });
  afterAll(() => h.close());

  /** An operator's update that must reach the user, with the lane otherwise idle. */
  async function laneStillWorks(text: string) {
    const b = h.hotro.backend;
    await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 20_000, "idle");
    expect(processingErrors(h.logs)).toEqual([]);
    const started = Date.now();
    expect((await post(operatorUpdate(text, { threadId: thread }))).statusCode).toBe(200);
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes(text)), 3000, "the operator's reply");
    expect(Date.now() - started).toBeLessThan(3000);
  }

  const FIXTURES: Record<string, () => Update> = {
    "message in the topic": () => operatorUpdate("Dạ em kiểm tra ngay ạ", { threadId: thread }),
    "reply to the card": () => operatorUpdate("Anh chờ em chút nhé", { replyTo: card }),
    "photo in the topic": () => {
      const u = operatorUpdate("", { threadId: thread }) as unknown as { message: Record<string, unknown> };
      delete u.message.text;
      u.message.caption = "ảnh hướng dẫn";
      u.message.photo = [
        { file_id: "small", file_unique_id: "s", width: 90, height: 90 },
        { file_id: "large", file_unique_id: "l", width: 1280, height: 1280 },
      ];
      return u as unknown as Update;
    },
    "take button": () => operatorButton("ops:take:HT-000001"),
  };

  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name}: every field mutated → acknowledged, and the ops lane takes the next update at once`, async () => {
      const failures: string[] = [];
      for (const m of mutations(make())) {
        const res = await post(apply(make(), m));
        if (![200, 400].includes(res.statusCode)) failures.push(`${m.label} → ${res.statusCode}`);
      }
      expect(failures).toEqual([]);
      await laneStillWorks(`kiểm tra sau ${name}`);
    });
  }

  it("an operator's message older than the dedupe window is acknowledged and not relayed", async () => {
    const u = operatorUpdate("tin nhắn cũ từ tuần trước", { threadId: thread });
    (u.message as { date: number }).date = Math.floor((Date.now() - DEDUPE_TTL_MS) / 1000);
    expect((await post(u)).statusCode).toBe(200);
    await laneStillWorks("tin nhắn mới sau tin cũ");
    expect(toUser().some((c) => String(c.payload.text).includes("tin nhắn cũ"))).toBe(false);
  });

  it("an update nested 200,000 levels deep is recorded (bounded) and the lane goes on", async () => {
    const u = JSON.stringify(operatorUpdate("Dạ em đây ạ, tin có phần đuôi rất sâu", { threadId: thread }));
    const payload = `${u.slice(0, -2)},"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}}`;
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload,
    });
    expect(res.statusCode).toBe(200);
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes("phần đuôi rất sâu")), 3000);
    await laneStillWorks("tin sau tin rất sâu");
  });

  it("the request still maps: /close resolves it", async () => {
    expect((await post(operatorUpdate("/close", { threadId: thread }))).statusCode).toBe(200);
    await waitFor(async () => (await h.hotro.backend.requests.get("HT-000001"))?.status === "resolved");
  });
});
