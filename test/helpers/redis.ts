import { Redis } from "ioredis";

export const redisUrl = () => process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Whether Redis answers. Under CI=true an unreachable Redis is an error (CI runs next to
 * one); elsewhere the Redis tests are skipped with a note.
 */
export async function redisReachable(): Promise<boolean> {
  const r = new Redis(redisUrl(), {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  r.on("error", () => undefined);
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    if (process.env.CI === "true") throw new Error(`Redis is not reachable at ${redisUrl()} (CI=true requires it)`);
    console.warn(
      `Redis not reachable at ${redisUrl()}: Redis tests skipped (start one on 127.0.0.1:6379, or set REDIS_URL)`,
    );
    return false;
  } finally {
    r.disconnect();
  }
}

/** Delete every key under a test prefix. */
export async function flushPrefix(prefix: string): Promise<void> {
  const r = new Redis(redisUrl());
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}
