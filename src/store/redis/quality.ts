import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { type QualityEvent, type QualityKind, type QualityStore, withoutPerson } from "../../ports/quality.js";

// Once per key: the body in a hash (HSETNX), its time in the kind's sorted set.
const RECORD = `if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 1 then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) return 1 end return 0`;

/** The quality log in Redis, shared by every process of the deployment. */
export class RedisQualityStore implements QualityStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async record(e: QualityEvent): Promise<boolean> {
    const r = await this.redis.eval(
      RECORD,
      2,
      `${this.prefix}quality:body`,
      `${this.prefix}quality:${e.kind}`,
      e.key,
      String(e.at),
      JSON.stringify(e),
    );
    return r === 1;
  }

  async between(kind: QualityKind, from: number, to: number): Promise<QualityEvent[]> {
    const keys = await this.redis.zrangebyscore(`${this.prefix}quality:${kind}`, from, `(${to}`);
    if (keys.length === 0) return [];
    const out: QualityEvent[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const raws = await this.redis.hmget(`${this.prefix}quality:body`, ...keys.slice(i, i + 500));
      for (const raw of raws) if (raw) out.push(JSON.parse(raw) as QualityEvent);
    }
    // Same order as SQLite's (time, then arrival): ties keep the sorted set's order by key,
    // so sort by time only and stably.
    return out.sort((a, b) => a.at - b.at);
  }

  /** Every fact (a person's part is found by reading them all: exports and erasures are rare). */
  private async *all(): AsyncGenerator<QualityEvent> {
    let cursor = "0";
    do {
      const [next, flat] = await this.redis.hscan(`${this.prefix}quality:body`, cursor, "COUNT", 500);
      cursor = next;
      for (let i = 1; i < flat.length; i += 2) yield JSON.parse(flat[i] as string) as QualityEvent;
    } while (cursor !== "0");
  }

  private async matching(test: (e: QualityEvent) => boolean): Promise<QualityEvent[]> {
    const out: QualityEvent[] = [];
    for await (const e of this.all()) if (test(e)) out.push(e);
    return out.sort((a, b) => a.at - b.at);
  }

  ofPerson(conv: string, requestIds: readonly string[]): Promise<QualityEvent[]> {
    const ids = new Set(requestIds);
    return this.matching((e) => e.conv === conv || (e.requestId !== undefined && ids.has(e.requestId)));
  }

  async forget(conv: string, requestIds: readonly string[]): Promise<number> {
    return this.rewrite(await this.ofPerson(conv, requestIds));
  }

  async forgetBefore(before: number): Promise<number> {
    return this.rewrite(await this.matching((e) => e.at < before));
  }

  private async rewrite(events: QualityEvent[]): Promise<number> {
    let n = 0;
    for (const e of events) {
      const out = withoutPerson(e, randomUUID);
      if (out === e) continue;
      const m = this.redis
        .multi()
        .hdel(`${this.prefix}quality:body`, e.key)
        .zrem(`${this.prefix}quality:${e.kind}`, e.key);
      if (out)
        m.hset(`${this.prefix}quality:body`, out.key, JSON.stringify(out)).zadd(
          `${this.prefix}quality:${out.kind}`,
          out.at,
          out.key,
        );
      await m.exec();
      n++;
    }
    return n;
  }
}
