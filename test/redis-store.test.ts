import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InboundEvent } from "../src/ports/message.js";
import { CaptureChannel, type Harness, harness } from "./helpers/harness.js";
import { flushPrefix, redisReachable } from "./helpers/redis.js";

const available = await redisReachable();

/**
 * The app on Redis across two in-process instances. What a single backend must do (requests,
 * sessions, queues…) is the store contract's (test/contracts/redis.contract.test.ts).
 */
describe.runIf(available)("on Redis", () => {
  const prefix = `hotro-test:${randomUUID()}:`;
  afterAll(() => flushPrefix(prefix));

  describe("two processes sharing one Redis", () => {
    const shared = new CaptureChannel("cli");
    let a: Harness;
    let b: Harness;
    const p2 = `${prefix}two:`;
    beforeAll(async () => {
      a = await harness({ redisPrefix: p2, cli: shared });
      b = await harness({ redisPrefix: p2, cli: shared });
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });

    it("drops a redelivery that lands on the other process", async () => {
      const event: InboundEvent = {
        id: `cli:dup-${randomUUID()}`,
        channel: "cli",
        userId: "dup",
        timestamp: Date.now(),
        kind: "message",
        text: "số hotline là gì",
      };
      await a.hotro.runtime.accept([event]);
      await b.hotro.runtime.accept([event]);
      await new Promise((r) => setTimeout(r, 800));
      expect(shared.sent.filter((j) => j.conv === "cli:dup")).toHaveLength(1);
    });

    it("answers one conversation's messages in order when they arrive at different processes", async () => {
      const texts = ["xin chào", "số hotline là gì", "email hỗ trợ", "giờ làm việc", "cảm ơn"];
      for (const [i, text] of texts.entries()) {
        const target = i % 2 === 0 ? a : b;
        await target.hotro.runtime.accept([
          {
            id: `cli:ord-${randomUUID()}`,
            channel: "cli",
            userId: "ord",
            timestamp: Date.now(),
            kind: "message",
            text,
          },
        ]);
      }
      const deadline = Date.now() + 10_000;
      const mine = () => shared.sent.filter((j) => j.conv === "cli:ord");
      while (mine().length < texts.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const replies = mine().map((j) => j.message.text ?? "");
      expect(replies).toHaveLength(5);
      expect(replies[0]).toContain("Xin chào");
      expect(replies[1]).toContain("1900 6868");
      expect(replies[2]).toContain("support@hotro.example.vn");
      expect(replies[3]).toContain("08:00");
      expect(replies[4]).not.toContain("1900 6868");
    });
  });
});
