import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/log.js";
import type { InboxItem } from "../../src/ports/queue.js";
import { DEDUPE_TTL_MS, isStale, MAX_EVENT_AGE_MS } from "../../src/queue/dedupe.js";
import { RedisInbox } from "../../src/store/redis/queue.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";

const log = createLogger("silent");
const item = (key: string): InboxItem => ({
  key,
  conv: "cli:window",
  body: { type: "control", event: { kind: "back_to_bot" }, at: 0 },
});

/** The age check gives up before either store forgets a dedupe key: both read one constant. */
describe("the dedupe window", () => {
  it("the age limit sits inside the window, and the check is strict about the edge", () => {
    expect(MAX_EVENT_AGE_MS).toBeLessThan(DEDUPE_TTL_MS);
    expect(MAX_EVENT_AGE_MS).toBeGreaterThan(DEDUPE_TTL_MS - 24 * 3_600_000);
    const now = Date.now();
    expect(isStale(now - MAX_EVENT_AGE_MS, now)).toBe(false);
    expect(isStale(now - MAX_EVENT_AGE_MS - 1, now)).toBe(true);
    expect(isStale(now + 60_000, now)).toBe(false);
    expect(isStale(undefined, now)).toBe(false);
    expect(isStale(Number.NaN, now)).toBe(false);
  });

  it("the embedded store keeps a claimed key DEDUPE_TTL_MS", async () => {
    const b = embeddedBackend(":memory:", log, "HT");
    try {
      const before = Date.now();
      expect(await b.inbox.record([item("window:1")])).toEqual([true]);
      const row = b.db.prepare("SELECT expires FROM dedupe WHERE key = ?").get("window:1") as { expires: number };
      expect(row.expires).toBeGreaterThanOrEqual(before + DEDUPE_TTL_MS);
      expect(row.expires).toBeLessThanOrEqual(Date.now() + DEDUPE_TTL_MS);
      expect(await b.inbox.record([item("window:1")])).toEqual([false]);
    } finally {
      await b.close();
    }
  });

  it("Redis keeps a claimed key DEDUPE_TTL_MS", async () => {
    if (!(await redisReachable())) return;
    const prefix = `hotro-test-window-${randomUUID().slice(0, 8)}:`;
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const inbox = new RedisInbox(redis, prefix, log);
    try {
      expect(await inbox.record([item("window:1")])).toEqual([true]);
      const ttl = await redis.pttl(`${prefix}dedupe:window:1`);
      expect(ttl).toBeGreaterThan(DEDUPE_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(DEDUPE_TTL_MS);
    } finally {
      await inbox.stop();
      await flushPrefix(prefix);
      redis.disconnect();
    }
  });
});
