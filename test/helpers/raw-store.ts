import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { redisUrl } from "./redis.js";

/**
 * Whether a text is anywhere in the store's raw bytes: every file of a DATA_DIR (the SQLite
 * file, its WAL and shared memory, media), read as bytes, so deleted-but-not-overwritten
 * cells count too; or every key and value under a Redis prefix, whatever its type.
 */
export function filesContain(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const bytes = Buffer.from(needle, "utf8");
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (readFileSync(p).includes(bytes)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

export async function redisContains(prefix: string, needle: string): Promise<string[]> {
  const r = new Redis(redisUrl());
  const hits: string[] = [];
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        if (key.includes(needle)) hits.push(key);
        const type = await r.type(key);
        let text = "";
        if (type === "string") text = (await r.get(key)) ?? "";
        else if (type === "list") text = (await r.lrange(key, 0, -1)).join("\n");
        else if (type === "hash") text = JSON.stringify(await r.hgetall(key));
        else if (type === "set") text = (await r.smembers(key)).join("\n");
        else if (type === "zset") text = (await r.zrange(key, 0, -1)).join("\n");
        else if (type === "stream") text = JSON.stringify(await r.xrange(key, "-", "+"));
        if (text.includes(needle)) hits.push(key);
      }
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
  return hits;
}
