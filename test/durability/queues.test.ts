import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/log.js";
import type { InboxItem } from "../../src/ports/queue.js";
import { RedisInbox } from "../../src/store/redis/queue.js";
import { waitFor } from "../helpers/fake-platform.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";

const available = await redisReachable();
const log = createLogger("silent");

/**
 * What only the Redis queues have to get right: a lock left by a killed process. Retries,
 * order per lane and recovery on both backends are the store contract's
 * (test/contracts/store.contract.ts).
 */
describe.runIf(available)("the Redis inbox", () => {
  const prefix = `hotro-durability:${randomUUID()}:`;
  const redis = available ? new Redis(redisUrl()) : undefined;
  afterAll(async () => {
    await flushPrefix(prefix);
    redis?.disconnect();
  });

  it("drains a conversation whose lock a killed process left, once that lock expires", async () => {
    if (!redis) return;
    const p = `${prefix}lock:`;
    const conv = "cli:orphan";
    // What a process killed while holding the conversation leaves behind.
    await redis.set(`${p}inbox:lock:${conv}`, "token-of-a-dead-process", "PX", 1500);
    const inbox = new RedisInbox(redis, p, log);
    const seen: { key: string; at: number }[] = [];
    inbox.start(async (it: InboxItem) => {
      seen.push({ key: it.key, at: Date.now() });
    });
    try {
      const t0 = Date.now();
      const items: InboxItem[] = ["a", "b", "c"].map((k) => ({
        key: `orphan:${k}`,
        conv,
        body: { type: "control", event: { kind: "back_to_bot" }, at: 0 },
      }));
      for (const it of items) await inbox.record([it]);
      await waitFor(() => seen.length === 3, 8_000, "the orphaned conversation");
      expect(seen.map((s) => s.key)).toEqual(["orphan:a", "orphan:b", "orphan:c"]);
      // Not before the dead lock expired, and long before the 15 s sweep would have found it.
      expect((seen[0]?.at ?? 0) - t0).toBeGreaterThanOrEqual(1300);
      expect((seen[0]?.at ?? 0) - t0).toBeLessThan(5_000);
    } finally {
      await inbox.stop();
    }
  });
});
