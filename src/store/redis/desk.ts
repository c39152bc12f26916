import type { Redis } from "ioredis";
import type { ConsoleLogin, DeskStore, LoginStore, OperatorAccount, OperatorStore } from "../../ports/desk.js";

/** Operator accounts in one Redis hash (name → record), shared by every process. */
class RedisOperatorStore implements OperatorStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async get(name: string): Promise<OperatorAccount | undefined> {
    const raw = await this.redis.hget(this.key, name);
    return raw ? (JSON.parse(raw) as OperatorAccount) : undefined;
  }

  async list(): Promise<OperatorAccount[]> {
    const all = await this.redis.hvals(this.key);
    return all.map((raw) => JSON.parse(raw) as OperatorAccount).sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(a: OperatorAccount): Promise<boolean> {
    return (await this.redis.hsetnx(this.key, a.name, JSON.stringify(a))) === 1;
  }

  async update(a: OperatorAccount): Promise<boolean> {
    // Only an existing field is replaced (HSETXX does not exist): a Lua step keeps it atomic.
    const done = await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end return 0",
      1,
      this.key,
      a.name,
      JSON.stringify(a),
    );
    return done === 1;
  }

  async remove(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, name)) === 1;
  }

  async count(): Promise<number> {
    return this.redis.hlen(this.key);
  }
}

/**
 * Console logins: one key per login that expires by itself (idle limit, capped by the
 * absolute end), and a set per operator so a password change can end them all.
 */
class RedisLoginStore implements LoginStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private loginKey(hash: string): string {
    return `${this.prefix}desk:login:${hash}`;
  }

  private setKey(operator: string): string {
    return `${this.prefix}desk:logins:${operator}`;
  }

  private ttl(l: ConsoleLogin, at: number, ttlMs: number): number {
    return Math.max(1, Math.min(l.expiresAt, at + ttlMs) - at);
  }

  async create(l: ConsoleLogin, ttlMs: number): Promise<void> {
    const set = this.setKey(l.operator);
    await this.redis
      .multi()
      .set(this.loginKey(l.tokenHash), JSON.stringify(l), "PX", this.ttl(l, l.createdAt, ttlMs))
      .sadd(set, l.tokenHash)
      // Every login lasts as long at most, so the newest one's end is the set's.
      .pexpire(set, Math.max(1, l.expiresAt - l.createdAt))
      .exec();
  }

  async get(tokenHash: string): Promise<ConsoleLogin | undefined> {
    const raw = await this.redis.get(this.loginKey(tokenHash));
    return raw ? (JSON.parse(raw) as ConsoleLogin) : undefined;
  }

  async touch(tokenHash: string, at: number, ttlMs: number): Promise<void> {
    const l = await this.get(tokenHash);
    if (!l) return;
    // XX: a login revoked meanwhile stays revoked.
    await this.redis.set(
      this.loginKey(tokenHash),
      JSON.stringify({ ...l, lastSeenAt: at }),
      "PX",
      this.ttl(l, at, ttlMs),
      "XX",
    );
  }

  async revoke(tokenHash: string): Promise<void> {
    const l = await this.get(tokenHash);
    const m = this.redis.multi().del(this.loginKey(tokenHash));
    if (l) m.srem(this.setKey(l.operator), tokenHash);
    await m.exec();
  }

  async revokeAll(operator: string): Promise<number> {
    const set = this.setKey(operator);
    const hashes = await this.redis.smembers(set);
    if (hashes.length === 0) return 0;
    const res = await this.redis
      .multi()
      .del(...hashes.map((h) => this.loginKey(h)))
      .del(set)
      .exec();
    return Number(res?.[0]?.[1] ?? 0);
  }
}

export function redisDesk(redis: Redis, prefix: string): DeskStore {
  return {
    operators: new RedisOperatorStore(redis, `${prefix}desk:operators`),
    logins: new RedisLoginStore(redis, prefix),
  };
}
