import type { Redis } from "ioredis";
import type { QualityEvent, QualityKind, QualityStore } from "../../ports/quality.js";

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
}
