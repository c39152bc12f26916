import type {
  NewRequest,
  RequestFilter,
  RequestPatch,
  RequestRecord,
  RequestStore,
  TranscriptEntry,
} from "../../ports/requests.js";
import type { WriteBatch } from "./batch.js";
import { type Db, prepared } from "./db.js";

export function formatRequestId(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(6, "0")}`;
}

/** A new request's record, the same for every store. */
export function newRecord(r: NewRequest, id: string, now: number): RequestRecord {
  const rec: RequestRecord = {
    id,
    conv: r.conv,
    channel: r.channel,
    userId: r.userId,
    intent: r.draft.intent,
    title: r.draft.title,
    priority: r.draft.priority,
    status: "open",
    fields: r.draft.fields,
    handoff: r.handoff,
    createdAt: now,
    updatedAt: now,
  };
  if (r.displayName) rec.displayName = r.displayName;
  if (r.draft.rule) rec.rule = r.draft.rule;
  if (r.draft.dueAt !== undefined) rec.dueAt = r.draft.dueAt;
  return rec;
}

/** Requests in the embedded SQLite file; ids from a counter row incremented in the same transaction. */
export class SqliteRequestStore implements RequestStore {
  private readonly sql: Db["prepare"];

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
    private readonly prefix: string,
  ) {
    this.sql = prepared(db);
  }

  async create(r: NewRequest, now: number): Promise<RequestRecord> {
    const keyRow = `request-by-turn:${r.idempotencyKey}`;
    return this.batch.run(() => {
      const prior = this.sql<[string], { value: string }>("SELECT value FROM kv WHERE key = ?").get(keyRow);
      if (prior) {
        const existing = this.getSync(prior.value);
        if (existing) return existing;
      }
      this.sql(
        "INSERT INTO counters (name, value) VALUES ('request', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1",
      ).run();
      const n = (this.sql("SELECT value FROM counters WHERE name = 'request'").get() as { value: number }).value;
      const rec = newRecord(r, formatRequestId(this.prefix, n), now);
      this.write(rec);
      this.sql("INSERT INTO kv (key, value, expires) VALUES (?, ?, NULL)").run(keyRow, rec.id);
      r.draft.transcript.forEach((line, i) => {
        this.sql("INSERT OR IGNORE INTO transcript (request_id, line_key, at, body) VALUES (?, ?, ?, ?)").run(
          rec.id,
          `init:${i}`,
          line.at,
          JSON.stringify(line),
        );
      });
      return rec;
    });
  }

  private write(rec: RequestRecord): void {
    this.sql(
      `INSERT INTO requests (id, conv, channel, user_id, status, priority, created, updated, body)
         VALUES (@id, @conv, @channel, @userId, @status, @priority, @createdAt, @updatedAt, @body)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, priority = excluded.priority, updated = excluded.updated, body = excluded.body`,
    ).run({ ...rec, body: JSON.stringify(rec) });
  }

  private getSync(id: string): RequestRecord | undefined {
    const row = this.sql<[string], { body: string }>("SELECT body FROM requests WHERE id = ?").get(id);
    return row ? (JSON.parse(row.body) as RequestRecord) : undefined;
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    return this.getSync(id);
  }

  async update(id: string, patch: RequestPatch, now: number): Promise<RequestRecord | undefined> {
    return this.batch.run(() => {
      const rec = this.getSync(id);
      if (!rec) return undefined;
      const next: RequestRecord = { ...rec, ...patch, updatedAt: now };
      if (patch.fields) next.fields = { ...rec.fields, ...patch.fields };
      this.write(next);
      return next;
    });
  }

  async append(id: string, lineKey: string, entry: TranscriptEntry): Promise<void> {
    await this.batch.run(() =>
      this.sql("INSERT OR IGNORE INTO transcript (request_id, line_key, at, body) VALUES (?, ?, ?, ?)").run(
        id,
        lineKey,
        entry.at,
        JSON.stringify(entry),
      ),
    );
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    return this.sql<[string], { body: string }>("SELECT body FROM transcript WHERE request_id = ? ORDER BY at, rowid")
      .all(id)
      .map((r) => JSON.parse(r.body) as TranscriptEntry);
  }

  async list(f: RequestFilter): Promise<RequestRecord[]> {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: f.limit ?? 100 };
    if (f.status) {
      where.push("status = @status");
      args.status = f.status;
    }
    if (f.priority) {
      where.push("priority = @priority");
      args.priority = f.priority;
    }
    if (f.channel) {
      where.push("channel = @channel");
      args.channel = f.channel;
    }
    if (f.conv) {
      where.push("conv = @conv");
      args.conv = f.conv;
    }
    if (f.createdFrom !== undefined) {
      where.push("created >= @createdFrom");
      args.createdFrom = f.createdFrom;
    }
    if (f.createdTo !== undefined) {
      where.push("created < @createdTo");
      args.createdTo = f.createdTo;
    }
    const sql = `SELECT body FROM requests ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created DESC LIMIT @limit`;
    return this.sql<Record<string, unknown>, { body: string }>(sql)
      .all(args)
      .map((r) => JSON.parse(r.body) as RequestRecord);
  }
}
