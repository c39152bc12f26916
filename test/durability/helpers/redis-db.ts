import { Redis } from "ioredis";
import { redisUrl } from "../../helpers/redis.js";

const CLAIM = "hotro-durability:claim:";

export interface RedisDb {
  /** REDIS_URL for the server processes: the shared Redis, logical database `db`. */
  url: string;
  db: number;
  /** A client on that database, for inspecting what the servers left. */
  client: Redis;
  release(): Promise<void>;
}

/**
 * The server has no setting for its key prefix (it always uses `hotro:`), so each test
 * file runs its servers on a logical database of its own: claimed with SET NX in database
 * 0 (so two test runs on one Redis never share one), emptied before and after. A database
 * that holds anything but `hotro:` keys belongs to someone else and is skipped.
 */
export async function claimRedisDb(label: string): Promise<RedisDb> {
  const base = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    const dbs = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    for (const db of dbs) {
      const ok = await base.set(`${CLAIM}${db}`, `${label}:${process.pid}`, "PX", 15 * 60_000, "NX");
      if (ok !== "OK") continue;
      const u = new URL(redisUrl());
      u.pathname = `/${db}`;
      const client = new Redis(u.toString(), { maxRetriesPerRequest: 1 });
      const other = (await client.dbsize()) > 0 && !(await onlyOurs(client));
      if (other) {
        client.disconnect();
        await base.del(`${CLAIM}${db}`);
        continue;
      }
      await client.flushdb();
      return {
        url: u.toString(),
        db,
        client,
        async release() {
          await client.flushdb().catch(() => undefined);
          client.disconnect();
          const r = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
          await r.del(`${CLAIM}${db}`).catch(() => undefined);
          r.disconnect();
        },
      };
    }
    throw new Error("no free logical Redis database (1–15) to run the servers on");
  } finally {
    base.disconnect();
  }
}

async function onlyOurs(client: Redis): Promise<boolean> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 1000);
    if (keys.some((k) => !k.startsWith("hotro:"))) return false;
    cursor = next;
  } while (cursor !== "0");
  return true;
}

/** Jobs still waiting in the Redis outbox lists (the server's `hotro:` prefix). */
export async function redisPendingSends(client: Redis): Promise<{ chat: number; text: string }[]> {
  const out: { chat: number; text: string }[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", "hotro:outbox:list:*", "COUNT", 1000);
    cursor = next;
    for (const k of keys) {
      for (const raw of await client.lrange(k, 0, -1)) out.push(sendOf(raw));
    }
  } while (cursor !== "0");
  return out;
}

/** Items still waiting in the Redis inbox lists. */
export async function redisPendingEvents(client: Redis): Promise<number> {
  let n = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", "hotro:inbox:list:*", "COUNT", 1000);
    cursor = next;
    for (const k of keys) n += await client.llen(k);
  } while (cursor !== "0");
  return n;
}

/** An outbox job's recipient and text. */
export function sendOf(raw: string): { chat: number; text: string } {
  const job = JSON.parse(raw) as { body: { userId?: string; message?: { text?: string } } };
  return { chat: Number(job.body.userId), text: job.body.message?.text ?? "" };
}
