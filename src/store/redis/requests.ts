import type { Redis } from "ioredis";
import type {
  NewRequest,
  RequestFilter,
  RequestPatch,
  RequestRecord,
  RequestStore,
  TranscriptEntry,
} from "../../ports/requests.js";
import { formatRequestId, newRecord } from "../sqlite/requests.js";

// Read-modify-write of a request in one step, so two processes cannot lose an update.
const UPDATE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local rec = cjson.decode(raw)
local patch = cjson.decode(ARGV[1])
for k, v in pairs(patch) do
  if k == 'fields' and type(rec.fields) == 'table' then
    for fk, fv in pairs(v) do rec.fields[fk] = fv end
  else
    rec[k] = v
  end
end
rec.updatedAt = tonumber(ARGV[2])
local out = cjson.encode(rec)
redis.call('SET', KEYS[1], out)
return out`;

// Appends a transcript line once per line key, keeping arrival order.
const APPEND = `if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 1 then redis.call('RPUSH', KEYS[2], ARGV[2]) return 1 end return 0`;

/**
 * Requests in Redis, shared by every process: ids from `INCR` (unique and increasing across
 * processes), the record as JSON, sorted sets by creation time for listing.
 */
export class RedisRequestStore implements RequestStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly idPrefix: string,
  ) {}

  private k(...parts: string[]): string {
    return `${this.prefix}${parts.join(":")}`;
  }

  async create(r: NewRequest, now: number): Promise<RequestRecord> {
    const turnKey = this.k("request-by-turn", r.idempotencyKey);
    const prior = await this.redis.get(turnKey);
    if (prior) {
      const existing = await this.get(prior);
      if (existing) return existing;
    }
    const n = await this.redis.incr(this.k("request-seq"));
    const rec = newRecord(r, formatRequestId(this.idPrefix, n), now);
    // Claim the turn; if another process won the race, return its request instead.
    const won = await this.redis.set(turnKey, rec.id, "NX");
    if (won !== "OK") {
      const other = await this.redis.get(turnKey);
      const existing = other ? await this.get(other) : undefined;
      if (existing) return existing;
    }
    const m = this.redis.multi();
    m.set(this.k("request", rec.id), JSON.stringify(rec));
    m.zadd(this.k("requests"), now, rec.id);
    m.zadd(this.k("requests-conv", rec.conv), now, rec.id);
    for (const [i, line] of r.draft.transcript.entries()) {
      m.hsetnx(this.k("transcript-keys", rec.id), `init:${i}`, "1");
      m.rpush(this.k("transcript", rec.id), JSON.stringify(line));
    }
    await m.exec();
    return rec;
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const raw = await this.redis.get(this.k("request", id));
    return raw ? (JSON.parse(raw) as RequestRecord) : undefined;
  }

  async update(id: string, patch: RequestPatch, now: number): Promise<RequestRecord | undefined> {
    const out = (await this.redis.eval(UPDATE, 1, this.k("request", id), JSON.stringify(patch), String(now))) as
      | string
      | null;
    return out ? (JSON.parse(out) as RequestRecord) : undefined;
  }

  async append(id: string, lineKey: string, entry: TranscriptEntry): Promise<void> {
    await this.redis.eval(
      APPEND,
      2,
      this.k("transcript-keys", id),
      this.k("transcript", id),
      lineKey,
      JSON.stringify(entry),
    );
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    return (await this.redis.lrange(this.k("transcript", id), 0, -1)).map((l) => JSON.parse(l) as TranscriptEntry);
  }

  async list(f: RequestFilter): Promise<RequestRecord[]> {
    const limit = f.limit ?? 100;
    const index = f.conv ? this.k("requests-conv", f.conv) : this.k("requests");
    const out: RequestRecord[] = [];
    // Newest first, in pages, filtering as we go.
    const max = f.createdTo !== undefined ? `(${f.createdTo}` : "+inf";
    const min = f.createdFrom !== undefined ? String(f.createdFrom) : "-inf";
    for (let start = 0; out.length < limit; start += 200) {
      const ids = await this.redis.zrevrangebyscore(index, max, min, "LIMIT", start, 200);
      if (ids.length === 0) break;
      const raws = await this.redis.mget(...ids.map((id) => this.k("request", id)));
      for (const raw of raws) {
        if (!raw) continue;
        const r = JSON.parse(raw) as RequestRecord;
        if (f.status && r.status !== f.status) continue;
        if (f.priority && r.priority !== f.priority) continue;
        if (f.channel && r.channel !== f.channel) continue;
        out.push(r);
        if (out.length >= limit) break;
      }
    }
    return out;
  }
}
