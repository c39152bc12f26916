import type { Redis } from "ioredis";
import type { Erasure, HeldAt, HeldData, PeopleStore, Person, Retention, Swept } from "../../ports/people.js";
import type { RequestRecord, TranscriptEntry } from "../../ports/requests.js";
import { anonymised, convOf, erasedConv, keyOfPerson } from "../../privacy/anonymise.js";
import { DEDUPE_TTL_MS } from "../../queue/dedupe.js";

/**
 * A person's data in Redis, under the deployment's prefix: the session and small values
 * (keyv's `session::` and `kv::` keys), requests with their transcripts and indexes, the
 * inbox and outbox lists, and the lists of parked and failed items. Expired keys go by
 * themselves (Redis expires them); the sweep removes what is kept without a TTL.
 */
export class RedisPeopleStore implements PeopleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private k(...parts: string[]): string {
    return `${this.prefix}${parts.join(":")}`;
  }

  private async scan(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== "0");
    return out;
  }

  private async requestsOf(conv: string): Promise<RequestRecord[]> {
    const ids = await this.redis.zrange(this.k("requests-conv", conv), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.k("request", id)));
    return raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as RequestRecord);
  }

  private async transcriptOf(id: string): Promise<TranscriptEntry[]> {
    return (await this.redis.lrange(this.k("transcript", id), 0, -1)).map((l) => JSON.parse(l) as TranscriptEntry);
  }

  private async valueKeys(p: Person): Promise<string[]> {
    const base = `${this.prefix}kv::`;
    const glob = `${base}${p.channel}:*`.replace(/[[\]?]/g, "\\$&");
    return (await this.scan(glob)).filter((k) => keyOfPerson(k.slice(base.length), p));
  }

  /** Lists holding the person's queued items, and the shared lists of parked/failed ones that mention them. */
  private queueLists(conv: string, ids: string[]): string[] {
    return [
      this.k("inbox", "list", conv),
      this.k("outbox", "list", conv),
      ...ids.map((id) => this.k("outbox", "list", `ops:${id}`)),
    ];
  }

  private async parkedOf(conv: string): Promise<{ list: string; raw: string }[]> {
    const out: { list: string; raw: string }[] = [];
    for (const list of [this.k("inbox", "dead"), this.k("outbox", "failed")]) {
      for (const raw of await this.redis.lrange(list, 0, -1)) {
        if (raw.includes(JSON.stringify(conv))) out.push({ list, raw });
      }
    }
    return out;
  }

  async collect(p: Person): Promise<HeldData> {
    const conv = convOf(p);
    const session = await this.redis.get(this.k("session:", conv));
    const records = await this.requestsOf(conv);
    const requests = await Promise.all(
      records.map(async (record) => ({ record, transcript: await this.transcriptOf(record.id) })),
    );
    const values = await Promise.all(
      (await this.valueKeys(p)).map(async (key) => ({
        key: key.slice(`${this.prefix}kv::`.length),
        value: unwrap(await this.redis.get(key)),
      })),
    );
    const queued: unknown[] = [];
    for (const list of this.queueLists(
      conv,
      records.map((r) => r.id),
    )) {
      for (const raw of await this.redis.lrange(list, 0, -1)) queued.push(JSON.parse(raw));
    }
    for (const { raw } of await this.parkedOf(conv)) queued.push(JSON.parse(raw));
    const out: HeldData = { conv, requests, values, queued };
    if (session) out.session = unwrap(session);
    return out;
  }

  async erase(p: Person): Promise<Erasure> {
    const conv = convOf(p);
    const now = Date.now();
    const records = await this.requestsOf(conv);
    const ids = records.map((r) => r.id);
    const m = this.redis.multi();
    let transcriptLines = 0;
    for (const r of records) {
      transcriptLines += await this.redis.llen(this.k("transcript", r.id));
      const a = anonymised(r, now);
      m.set(this.k("request", r.id), JSON.stringify(a));
      m.zadd(this.k("requests-conv", erasedConv(r.channel)), r.createdAt, r.id);
      m.del(this.k("transcript", r.id), this.k("transcript-keys", r.id));
    }
    m.del(this.k("requests-conv", conv));
    let queued = 0;
    for (const list of this.queueLists(conv, ids)) {
      queued += await this.redis.llen(list);
      m.del(list);
    }
    m.srem(this.k("inbox", "pending"), conv);
    m.srem(this.k("outbox", "pending"), conv, ...ids.map((id) => `ops:${id}`));
    for (const { list, raw } of await this.parkedOf(conv)) {
      m.lrem(list, 0, raw);
      queued++;
    }
    const keys = await this.valueKeys(p);
    if (keys.length) m.del(...keys);
    m.del(this.k("session:", conv));
    const res = (await m.exec()) ?? [];
    const session = Number(res.at(-1)?.[1] ?? 0) > 0;
    return { session, requests: ids, transcriptLines, values: keys.length, queued };
  }

  async sweep(r: Retention, now: number): Promise<Swept> {
    let transcriptLines = 0;
    let requests = 0;
    const ids = await this.redis.zrange(this.k("requests"), 0, -1);
    for (const id of ids) {
      const raw = await this.redis.get(this.k("request", id));
      const rec = raw ? (JSON.parse(raw) as RequestRecord) : undefined;
      if (!rec || rec.updatedAt < now - r.requests) {
        const m = this.redis
          .multi()
          .del(this.k("request", id), this.k("transcript", id), this.k("transcript-keys", id));
        m.zrem(this.k("requests"), id);
        if (rec) m.zrem(this.k("requests-conv", rec.conv), id);
        await m.exec();
        if (rec) requests++;
        continue;
      }
      // Lines arrive in time order: drop from the front while the first is past its period.
      for (;;) {
        const head = await this.redis.lindex(this.k("transcript", id), 0);
        if (!head || (JSON.parse(head) as TranscriptEntry).at >= now - r.transcripts) break;
        await this.redis.lrem(this.k("transcript", id), 1, head);
        transcriptLines++;
      }
    }
    // Dedupe keys are written to live DEDUPE_TTL_MS; one with more left than that minus the
    // period was claimed less than the period ago.
    let dedupe = 0;
    if (r.dedupe < DEDUPE_TTL_MS) {
      for (const key of await this.scan(`${this.prefix}dedupe:*`)) {
        const left = await this.redis.pttl(key);
        if (left >= 0 && left < DEDUPE_TTL_MS - r.dedupe) dedupe += await this.redis.del(key);
      }
    }
    // Sessions and small values expire by themselves (Redis TTLs).
    return { transcriptLines, requests, sessions: 0, dedupe, values: 0 };
  }

  async heldAt(at: number): Promise<HeldAt[]> {
    const byConv = new Map<string, Set<string>>();
    const add = (conv: string, kind: string) => byConv.set(conv, (byConv.get(conv) ?? new Set<string>()).add(kind));
    for (const id of await this.redis.zrangebyscore(this.k("requests"), "-inf", at)) {
      const raw = await this.redis.get(this.k("request", id));
      if (!raw) continue;
      const r = JSON.parse(raw) as RequestRecord & { erasedAt?: number };
      // Erased: anonymous since (who it was is in the audit log's erasure entries).
      if (r.erasedAt !== undefined) continue;
      add(r.conv, `request:${r.id}`);
      const fields = Object.keys(r.fields);
      if (fields.length) add(r.conv, `fields:${fields.join(",")}`);
      if (r.displayName) add(r.conv, "name");
      const lines = (await this.transcriptOf(r.id)).filter((l) => l.at <= at).length;
      if (lines) add(r.conv, `transcript:${lines}`);
    }
    const base = `${this.prefix}session::`;
    for (const key of await this.scan(`${base}*`)) {
      const s = unwrap(await this.redis.get(key)) as { firstAt?: number; lastUserAt?: number } | undefined;
      const since = s?.firstAt ?? s?.lastUserAt;
      if (since !== undefined && since <= at) add(key.slice(base.length), "session");
    }
    return [...byConv].map(([conv, kinds]) => ({ conv, kinds: [...kinds] }));
  }
}

function unwrap(raw: string | null): unknown {
  if (!raw) return undefined;
  try {
    return (JSON.parse(raw) as { value?: unknown }).value;
  } catch {
    return undefined;
  }
}
