import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * A lock shared by every process on one Redis: `SET NX PX` with a random token, released
 * and extended only by its holder (Lua compare-and-delete), so a holder that stalls past
 * its TTL cannot release someone else's lock.
 */
export class RedisLock {
  constructor(private readonly redis: Redis) {}

  async tryAcquire(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(key, token, "PX", ttlMs, "NX");
    return ok === "OK" ? token : undefined;
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key, token);
  }

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, key, token, String(ttlMs))) === 1;
  }

  /** Wait for the lock (up to `waitMs`), run `fn`, release. */
  async with<T>(key: string, ttlMs: number, fn: () => Promise<T>, waitMs = ttlMs * 2): Promise<T> {
    const deadline = Date.now() + waitMs;
    let delay = 10;
    for (;;) {
      const token = await this.tryAcquire(key, ttlMs);
      if (token) {
        try {
          return await fn();
        } finally {
          await this.release(key, token);
        }
      }
      if (Date.now() > deadline) throw new Error(`could not acquire lock ${key} within ${waitMs} ms`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 250);
    }
  }
}
