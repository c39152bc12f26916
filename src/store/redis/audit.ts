import type { Redis } from "ioredis";
import { type AuditAnchor, type AuditEntry, type AuditInput, type AuditStore, GENESIS } from "../../ports/audit.js";
import { chainEntry } from "../../privacy/chain.js";

// Appends only if the head is still the one the entry was chained to (another process may
// have appended meanwhile: then the caller chains again). Redis has no SHA-256 in Lua, so
// the hash is computed in Node and this step only guards the order.
const APPEND = `
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
return 1`;

// Drops the first entry if it is still the one read, and makes it the anchor.
const PRUNE = `
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

/**
 * The audit trail in Redis: one list of entries in order, the head (last seq and hash) and
 * the anchor (where the chain starts after pruning) beside it.
 */
export class RedisAuditStore implements AuditStore {
  private readonly log: string;
  private readonly head: string;
  private readonly anchorKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.log = `${prefix}audit:log`;
    this.head = `${prefix}audit:head`;
    this.anchorKey = `${prefix}audit:anchor`;
  }

  async append(input: AuditInput): Promise<AuditEntry> {
    for (let i = 0; i < 100; i++) {
      const raw = await this.redis.get(this.head);
      const prev = raw ? (JSON.parse(raw) as AuditAnchor) : await this.anchor();
      const e = chainEntry(input, prev);
      const head = JSON.stringify({ seq: e.seq, hash: e.hash } satisfies AuditAnchor);
      const ok = await this.redis.eval(APPEND, 2, this.log, this.head, raw ?? "", JSON.stringify(e), head);
      if (ok === 1) return e;
    }
    throw new Error("audit: could not append after 100 tries (too many writers at once)");
  }

  async list(q: { afterSeq?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    const after = q.afterSeq ?? 0;
    const limit = q.limit ?? 1000;
    const first = await this.redis.lindex(this.log, 0);
    if (!first) return [];
    // Entries are consecutive in the list, so the index of a seq is its distance from the first.
    const start = Math.max(0, after + 1 - (JSON.parse(first) as AuditEntry).seq);
    const raws = await this.redis.lrange(this.log, start, start + limit - 1);
    return raws.map((r) => JSON.parse(r) as AuditEntry).filter((e) => e.seq > after);
  }

  async anchor(): Promise<AuditAnchor> {
    const raw = await this.redis.get(this.anchorKey);
    return raw ? (JSON.parse(raw) as AuditAnchor) : GENESIS;
  }

  async prune(before: number): Promise<number> {
    // As on SQLite: everything up to the last entry (in chain order) older than `before`.
    let upTo = -1;
    for (let start = 0; ; start += 1000) {
      const page = await this.redis.lrange(this.log, start, start + 999);
      page.forEach((raw, i) => {
        if ((JSON.parse(raw) as AuditEntry).at < before) upTo = start + i;
      });
      if (page.length < 1000) break;
    }
    let n = 0;
    // The head key outlives the list, so even the last entry may go: the next one chains to it.
    for (; n <= upTo; n++) {
      const raw = await this.redis.lindex(this.log, 0);
      if (!raw) break;
      const e = JSON.parse(raw) as AuditEntry;
      const anchor = JSON.stringify({ seq: e.seq, hash: e.hash } satisfies AuditAnchor);
      if ((await this.redis.eval(PRUNE, 2, this.log, this.anchorKey, raw, anchor)) !== 1) break;
    }
    return n;
  }
}
