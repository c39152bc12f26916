import { randomUUID } from "node:crypto";
import { type QualityEvent, type QualityKind, type QualityStore, withoutPerson } from "../../ports/quality.js";
import type { WriteBatch } from "./batch.js";
import { type Db, prepared } from "./db.js";

/** The quality log in the embedded file: one row per fact, indexed by kind and time. */
export class SqliteQualityStore implements QualityStore {
  private readonly sql: Db["prepare"];

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
  ) {
    this.sql = prepared(db);
  }

  record(e: QualityEvent): Promise<boolean> {
    return this.batch.run(
      () =>
        this.sql("INSERT OR IGNORE INTO quality (key, kind, at, body) VALUES (?, ?, ?, ?)").run(
          e.key,
          e.kind,
          e.at,
          JSON.stringify(e),
        ).changes > 0,
    );
  }

  async between(kind: QualityKind, from: number, to: number): Promise<QualityEvent[]> {
    return this.sql<[string, number, number], { body: string }>(
      "SELECT body FROM quality WHERE kind = ? AND at >= ? AND at < ? ORDER BY at, rowid",
    )
      .all(kind, from, to)
      .map((r) => JSON.parse(r.body) as QualityEvent);
  }

  private rowsOf(conv: string, requestIds: readonly string[]): { key: string; body: string }[] {
    const ids = JSON.stringify(requestIds);
    return this.sql<[string, string], { key: string; body: string }>(
      `SELECT key, body FROM quality WHERE json_extract(body, '$.conv') = ?
         OR json_extract(body, '$.requestId') IN (SELECT value FROM json_each(?)) ORDER BY at, rowid`,
    ).all(conv, ids);
  }

  async ofPerson(conv: string, requestIds: readonly string[]): Promise<QualityEvent[]> {
    return this.rowsOf(conv, requestIds).map((r) => JSON.parse(r.body) as QualityEvent);
  }

  forget(conv: string, requestIds: readonly string[]): Promise<number> {
    return this.batch.run(() => this.rewrite(this.rowsOf(conv, requestIds)));
  }

  forgetBefore(before: number): Promise<number> {
    return this.batch.run(() =>
      this.rewrite(
        this.sql<[number], { key: string; body: string }>("SELECT key, body FROM quality WHERE at < ?").all(before),
      ),
    );
  }

  /** Deleted cells are zeroed by `secure_delete` (db.ts); the people store truncates the WAL. */
  private rewrite(rows: { key: string; body: string }[]): number {
    let n = 0;
    for (const row of rows) {
      const e = JSON.parse(row.body) as QualityEvent;
      const out = withoutPerson(e, randomUUID);
      if (out === e) continue;
      if (!out) n += this.sql("DELETE FROM quality WHERE key = ?").run(row.key).changes;
      else
        n += this.sql("UPDATE quality SET key = ?, body = ? WHERE key = ?").run(
          out.key,
          JSON.stringify(out),
          row.key,
        ).changes;
    }
    return n;
  }
}
