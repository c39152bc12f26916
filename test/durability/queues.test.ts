import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/log.js";
import type { InboxItem, Outbox, OutboxJob, SendOutcome } from "../../src/ports/queue.js";
import { RedisInbox, RedisOutbox } from "../../src/store/redis/queue.js";
import { WriteBatch } from "../../src/store/sqlite/batch.js";
import { openDb } from "../../src/store/sqlite/db.js";
import { SqliteOutbox } from "../../src/store/sqlite/queue.js";
import { FakePlatform, waitFor } from "../helpers/fake-platform.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";

const available = await redisReachable();
const log = createLogger("silent");

/**
 * Channel-agnostic evidence at the outbox level: whatever the adapter, a transient failure
 * (5xx, 429 with Retry-After) keeps the message queued and in order, and it is delivered once.
 * The Telegram adapter's own version runs in test/telegram/delivery.test.ts.
 */
function sender(platform: FakePlatform) {
  return async (job: OutboxJob): Promise<SendOutcome> => {
    const r = await fetch(`${platform.url}/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: job.key, lane: job.lane }),
      signal: AbortSignal.timeout(5_000),
    });
    await r.arrayBuffer();
    if (r.ok) return { ok: true };
    if (r.status === 429 || r.status >= 500) {
      const after = Number(r.headers.get("retry-after"));
      return {
        ok: false,
        permanent: false,
        error: `HTTP ${r.status}`,
        ...(after ? { retryAfterMs: after * 1000 } : {}),
      };
    }
    return { ok: false, permanent: true, error: `HTTP ${r.status}` };
  };
}

const job = (key: string, lane: string): OutboxJob => ({
  key,
  lane,
  body: { kind: "send", channel: "cli", userId: lane, conv: lane, message: { text: key } },
});

async function fiveHundredThen429Then200(outbox: Outbox, tag: string): Promise<void> {
  const platform = await new FakePlatform().start();
  const keyOf = (r: { body: unknown }) => (r.body as { key?: string }).key;
  const first = `${tag}:first`;
  platform.times(1, (r) => keyOf(r) === first, { status: 429, headers: { "retry-after": "1" }, body: {} });
  platform.times(1, (r) => keyOf(r) === first, { status: 500, body: {} });
  outbox.start(sender(platform));
  try {
    const t0 = Date.now();
    // Same lane: `second` waits behind `first`; another lane is not held up.
    await outbox.enqueue([job(first, `${tag}:a`), job(`${tag}:second`, `${tag}:a`), job(`${tag}:other`, `${tag}:b`)]);
    await outbox.enqueue([job(first, `${tag}:a`)]); // the same job again (a replay): still sent once
    const attempts = (k: string) => platform.requests.filter((r) => keyOf(r) === k);
    await waitFor(() => attempts(`${tag}:second`).length === 1, 15_000, "the second message");
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts(first)).toHaveLength(3);
    expect(attempts(`${tag}:second`)).toHaveLength(1);
    expect(attempts(`${tag}:other`)).toHaveLength(1);
    const [a1, a2, a3] = attempts(first).map((r) => r.at);
    expect((a3 ?? 0) - (a2 ?? 0)).toBeGreaterThanOrEqual(950); // Retry-After: 1
    expect(a1).toBeLessThanOrEqual(a2 ?? 0);
    expect(attempts(`${tag}:other`)[0]?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(a3 ?? 0);
    const order = platform.requests.map(keyOf);
    expect(order.indexOf(`${tag}:second`)).toBeGreaterThan(order.lastIndexOf(first));
    expect(await outbox.pending()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  } finally {
    await outbox.stop();
    await platform.stop();
  }
}

describe("outbox: 500, then 429 (Retry-After), then 200", () => {
  it("on SQLite: one delivery, in order, other lanes not held up", async () => {
    const db = openDb(":memory:");
    await fiveHundredThen429Then200(new SqliteOutbox(db, new WriteBatch(db), log), "sqlite");
  });

  describe.runIf(available)("on Redis", () => {
    const prefix = `hotro-durability:${randomUUID()}:`;
    const redis = available ? new Redis(redisUrl()) : undefined;
    afterAll(async () => {
      await flushPrefix(prefix);
      redis?.disconnect();
    });

    it("one delivery, in order, other lanes not held up", async () => {
      if (!redis) return;
      await fiveHundredThen429Then200(new RedisOutbox(redis, prefix, log), "redis");
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
});
