import { type AuditAnchor, type AuditEntry, type AuditInput, type AuditStore, GENESIS } from "../../ports/audit.js";
import { chainEntry } from "../../privacy/chain.js";
import type { WriteBatch } from "./batch.js";
import { type Db, prepared } from "./db.js";

/**
 * The audit trail in the embedded file. Reading the last hash and inserting the next entry
 * happen in one synchronous batch item, so two appends can never chain to the same entry.
 */
export class SqliteAuditStore implements AuditStore {
  private readonly sql: Db["prepare"];

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
  ) {
    this.sql = prepared(db);
  }

  private headSync(): AuditAnchor {
    const last = this.sql<[], { body: string }>("SELECT body FROM audit ORDER BY seq DESC LIMIT 1").get();
    if (last) {
      const e = JSON.parse(last.body) as AuditEntry;
      return { seq: e.seq, hash: e.hash };
    }
    return this.anchorSync();
  }

  private anchorSync(): AuditAnchor {
    return this.sql<[], AuditAnchor>("SELECT seq, hash FROM audit_anchor WHERE id = 1").get() ?? GENESIS;
  }

  append(input: AuditInput): Promise<AuditEntry> {
    return this.batch.run(() => {
      const e = chainEntry(input, this.headSync());
      this.sql("INSERT INTO audit (seq, at, body) VALUES (?, ?, ?)").run(e.seq, e.at, JSON.stringify(e));
      return e;
    });
  }

  async list(q: { afterSeq?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    return this.sql<[number, number], { body: string }>("SELECT body FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")
      .all(q.afterSeq ?? 0, q.limit ?? 1000)
      .map((r) => JSON.parse(r.body) as AuditEntry);
  }

  async anchor(): Promise<AuditAnchor> {
    return this.anchorSync();
  }

  prune(before: number): Promise<number> {
    return this.batch.run(() => {
      // The newest entry goes last of all, so there is always an entry or an anchor to chain to.
      const last = this.sql<[number], { body: string }>(
        "SELECT body FROM audit WHERE at < ? ORDER BY seq DESC LIMIT 1",
      ).get(before);
      if (!last) return 0;
      const e = JSON.parse(last.body) as AuditEntry;
      this.sql(
        "INSERT INTO audit_anchor (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
      ).run(e.seq, e.hash);
      return this.sql("DELETE FROM audit WHERE seq <= ?").run(e.seq).changes;
    });
  }
}
