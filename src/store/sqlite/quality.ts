import type { QualityEvent, QualityKind, QualityStore } from "../../ports/quality.js";
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
}
