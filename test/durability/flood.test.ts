import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness, textOf } from "../helpers/harness.js";
import { QUESTIONS } from "./helpers/bot-api.js";

/**
 * Per-user flood control (config/limits.yaml: more than 10 messages in 10 s), through the
 * runtime: one polite notice, then silence until the user slows down; operators' messages
 * are never throttled.
 */
describe("flood control through the runtime", () => {
  let h: Harness;
  let clock = Date.parse("2026-03-04T10:00:00+07:00");
  const NOTICE = "Bạn đang gửi tin hơi nhanh";

  beforeAll(async () => {
    h = await harness({ operators: true, now: () => new Date(clock) });
  });
  afterAll(() => h.close());

  it("answers 10 messages in 10 s, sends one notice for the 11th, then nothing until the window passes", async () => {
    const replies: string[] = [];
    for (let i = 0; i < 14; i++) {
      clock += 500; // 14 messages in 7 s
      replies.push(textOf(await h.say(QUESTIONS[i % QUESTIONS.length]?.text ?? "", { user: "flood" })));
    }
    for (const [i, r] of replies.slice(0, 10).entries()) {
      expect(r, `message ${i + 1}`).toContain(QUESTIONS[i % QUESTIONS.length]?.mark);
    }
    expect(replies[10]).toContain(NOTICE);
    expect(replies.slice(11)).toEqual(["", "", ""]);
    expect(replies.filter((r) => r.includes(NOTICE))).toHaveLength(1);

    clock += 11_000; // the user slowed down
    expect(textOf(await h.say("số hotline là gì", { user: "flood" }))).toContain("1900 6868");
  });

  it("never throttles an operator's messages to a user", async () => {
    const answer = textOf(await h.say("cho tôi gặp nhân viên", { user: "vip" }));
    const id = /HT-\d{6}/.exec(answer)?.[0];
    expect(id, answer).toBeDefined();
    const conv = "cli:vip";
    const before = h.cli.sent.filter((j) => j.conv === conv).length;
    for (let i = 1; i <= 25; i++) {
      clock += 100; // 25 messages in 2.5 s, far over the users' limit
      await h.hotro.runtime.control(
        conv,
        { kind: "operator_message", requestId: id ?? "", operator: "Lan", text: `Tin nhắn ${i} của nhân viên` },
        `flood-test:op:${i}`,
      );
    }
    const mine = () => h.cli.sent.filter((j) => j.conv === conv).slice(before);
    await waitFor(() => mine().length >= 25, 10_000, "25 operator messages");
    const texts = mine().map((j) => j.message.text);
    expect(texts).toEqual(Array.from({ length: 25 }, (_, i) => `Tin nhắn ${i + 1} của nhân viên`));
    expect(mine().every((j) => j.byPerson)).toBe(true);
    expect(texts.some((t) => t?.includes(NOTICE))).toBe(false);
  });
});
