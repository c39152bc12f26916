import type { Erasure, HeldAt, HeldData, PeopleStore, Person, Retention, Swept } from "../../ports/people.js";
import type { RequestRecord, TranscriptEntry } from "../../ports/requests.js";
import { anonymised, convOf, keyOfPerson } from "../../privacy/anonymise.js";
import { DEDUPE_TTL_MS } from "../../queue/dedupe.js";
import type { WriteBatch } from "./batch.js";
import { type Db, prepared } from "./db.js";

/** keyv's namespaces in the `kv` table: `session:<conv>` and `kv:<key>`. */
const SESSION = "session:";
const VALUE = "kv:";

const likeEscape = (s: string) => s.replace(/[\\%_]/g, "\\$&");

/** A keyv row's value: keyv wraps what it stores as `{"value": …, "expires": …}`. */
function unwrap(raw: string): unknown {
  try {
    return (JSON.parse(raw) as { value?: unknown }).value;
  } catch {
    return undefined;
  }
}

/**
 * A person's data in the embedded file: sessions and small values (kv), requests and their
 * transcripts, queued messages. Deleting is not enough in SQLite: the file keeps deleted
 * cells in free pages and old page images in the WAL, so `secure_delete` zeroes them (db.ts)
 * and every erasure ends with a checkpoint that truncates the WAL.
 */
export class SqlitePeopleStore implements PeopleStore {
  private readonly sql: Db["prepare"];

  constructor(
    private readonly db: Db,
    private readonly batch: WriteBatch,
  ) {
    this.sql = prepared(db);
  }

  private requestsOf(conv: string): RequestRecord[] {
    return this.sql<[string], { body: string }>("SELECT body FROM requests WHERE conv = ? ORDER BY created")
      .all(conv)
      .map((r) => JSON.parse(r.body) as RequestRecord);
  }

  private transcriptOf(id: string): TranscriptEntry[] {
    return this.sql<[string], { body: string }>("SELECT body FROM transcript WHERE request_id = ? ORDER BY at, rowid")
      .all(id)
      .map((r) => JSON.parse(r.body) as TranscriptEntry);
  }

  private valueKeys(p: Person): string[] {
    return this.sql<[string], { key: string }>("SELECT key FROM kv WHERE key LIKE ? ESCAPE '\\'")
      .all(`${likeEscape(`${VALUE}${p.channel}:`)}%`)
      .map((r) => r.key)
      .filter((k) => keyOfPerson(k.slice(VALUE.length), p));
  }

  private queuedOf(conv: string, requestIds: string[]): { table: "inbox" | "outbox"; seq: number; body: string }[] {
    const inbox = this.sql<[string], { seq: number; body: string }>("SELECT seq, body FROM inbox WHERE conv = ?").all(
      conv,
    );
    const lanes = [conv, ...requestIds.map((id) => `ops:${id}`)];
    const outbox = this.sql<string[], { seq: number; body: string }>(
      `SELECT seq, body FROM outbox WHERE lane IN (${lanes.map(() => "?").join(",")})`,
    ).all(...lanes);
    return [
      ...inbox.map((r) => ({ table: "inbox" as const, ...r })),
      ...outbox.map((r) => ({ table: "outbox" as const, ...r })),
    ];
  }

  async collect(p: Person): Promise<HeldData> {
    const conv = convOf(p);
    const session = this.sql<[string], { value: string }>("SELECT value FROM kv WHERE key = ?").get(SESSION + conv);
    const requests = this.requestsOf(conv).map((record) => ({ record, transcript: this.transcriptOf(record.id) }));
    const values = this.valueKeys(p).map((key) => {
      const row = this.sql<[string], { value: string }>("SELECT value FROM kv WHERE key = ?").get(key);
      return { key: key.slice(VALUE.length), value: row ? unwrap(row.value) : undefined };
    });
    const queued = this.queuedOf(
      conv,
      requests.map((r) => r.record.id),
    ).map((q) => JSON.parse(q.body) as unknown);
    const out: HeldData = { conv, requests, values, queued };
    if (session) out.session = unwrap(session.value);
    return out;
  }

  async erase(p: Person): Promise<Erasure> {
    const conv = convOf(p);
    const now = Date.now();
    const result = await this.batch.run(() => {
      const requests = this.requestsOf(conv);
      const ids = requests.map((r) => r.id);
      let transcriptLines = 0;
      for (const r of requests) {
        transcriptLines += this.sql("DELETE FROM transcript WHERE request_id = ?").run(r.id).changes;
        const a = anonymised(r, now);
        this.sql("UPDATE requests SET conv = ?, user_id = ?, updated = ?, body = ? WHERE id = ?").run(
          a.conv,
          a.userId,
          now,
          JSON.stringify(a),
          r.id,
        );
      }
      let queued = 0;
      for (const q of this.queuedOf(conv, ids)) {
        queued += this.sql(`DELETE FROM ${q.table} WHERE seq = ?`).run(q.seq).changes;
      }
      let values = 0;
      for (const key of this.valueKeys(p)) values += this.sql("DELETE FROM kv WHERE key = ?").run(key).changes;
      const session = this.sql("DELETE FROM kv WHERE key = ?").run(SESSION + conv).changes > 0;
      return { session, requests: ids, transcriptLines, values, queued };
    });
    this.forgetOldPages();
    return result;
  }

  /** Old page images live on in the WAL until it is checkpointed and truncated. */
  private forgetOldPages(): void {
    this.batch.flush();
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  async sweep(r: Retention, now: number): Promise<Swept> {
    const out = await this.batch.run(() => {
      const transcriptLines = this.sql("DELETE FROM transcript WHERE at < ?").run(now - r.transcripts).changes;
      const old = this.sql<[number], { id: string }>("SELECT id FROM requests WHERE updated < ?").all(now - r.requests);
      for (const { id } of old) {
        this.sql("DELETE FROM transcript WHERE request_id = ?").run(id);
        this.sql("DELETE FROM requests WHERE id = ?").run(id);
      }
      // Sessions and small values carry their own end (written with a TTL): past it, the row goes.
      const sessions = this.sql(
        "DELETE FROM kv WHERE key LIKE 'session:%' AND expires IS NOT NULL AND expires <= ?",
      ).run(now).changes;
      const values = this.sql(
        "DELETE FROM kv WHERE key NOT LIKE 'session:%' AND expires IS NOT NULL AND expires <= ?",
      ).run(now).changes;
      // A dedupe row is written to end DEDUPE_TTL_MS after it was claimed.
      const dedupe = this.sql("DELETE FROM dedupe WHERE expires < ?").run(now - r.dedupe + DEDUPE_TTL_MS).changes;
      return { transcriptLines, requests: old.length, sessions, dedupe, values };
    });
    if (out.transcriptLines + out.requests + out.sessions + out.values > 0) this.forgetOldPages();
    return out;
  }

  async heldAt(at: number): Promise<HeldAt[]> {
    const byConv = new Map<string, Set<string>>();
    const add = (conv: string, kind: string) => {
      const s = byConv.get(conv) ?? new Set<string>();
      s.add(kind);
      byConv.set(conv, s);
    };
    const reqs = this.sql<[number], { conv: string; body: string }>(
      "SELECT conv, body FROM requests WHERE created <= ? ORDER BY created",
    ).all(at);
    for (const row of reqs) {
      const r = JSON.parse(row.body) as RequestRecord & { erasedAt?: number };
      // Erased: anonymous since (who it was is in the audit log's erasure entries).
      if (r.erasedAt !== undefined) continue;
      add(row.conv, `request:${r.id}`);
      const fields = Object.keys(r.fields);
      if (fields.length) add(row.conv, `fields:${fields.join(",")}`);
      if (r.displayName) add(row.conv, "name");
      const lines = (
        this.sql("SELECT count(*) AS n FROM transcript WHERE request_id = ? AND at <= ?").get(r.id, at) as {
          n: number;
        }
      ).n;
      if (lines) add(row.conv, `transcript:${lines}`);
    }
    for (const row of this.sql<[], { key: string; value: string }>(
      "SELECT key, value FROM kv WHERE key LIKE 'session:%'",
    ).all()) {
      const s = unwrap(row.value) as { firstAt?: number; lastUserAt?: number } | undefined;
      const since = s?.firstAt ?? s?.lastUserAt;
      if (since !== undefined && since <= at) add(row.key.slice(SESSION.length), "session");
    }
    return [...byConv].map(([conv, kinds]) => ({ conv, kinds: [...kinds] }));
  }
}
