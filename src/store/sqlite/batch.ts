import type { Db } from "./db.js";

interface Pending {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for the embedded store. Every write queued during one turn of the event loop
 * runs in a single transaction, each in its own savepoint: a write that fails rolls back
 * alone and rejects its own caller, the others commit. Callers are resolved only after the
 * COMMIT, so "answer the webhook once the event is recorded" still holds, while the cost of
 * a commit (WAL frames, locking) is shared by every message of the batch instead of paid
 * five times per message (BENCHMARKS.md: SQLite commits were the largest cost).
 *
 * Reads need no care: the batch runs synchronously from BEGIN to COMMIT, so no read on this
 * connection ever sees a half-done batch, and a caller reads its write only after awaiting it.
 */
export class WriteBatch {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(private readonly db: Db) {
    this.begin = db.prepare("BEGIN");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
    this.savepoint = db.prepare("SAVEPOINT batch_item");
    this.release = db.prepare("RELEASE batch_item");
    this.rollbackTo = db.prepare("ROLLBACK TO batch_item");
  }

  /** Run `fn` (synchronous statements) in the next batch; resolves with its result once committed. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit what is queued now (also called before the database closes). */
  flush(): void {
    this.scheduled = false;
    const items = this.queue;
    if (items.length === 0) return;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.begin.run();
      for (const it of items) {
        this.savepoint.run();
        try {
          const value = it.fn();
          this.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.rollbackTo.run();
          this.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of this batch is stored.
      try {
        if (this.db.inTransaction) this.rollback.run();
      } catch {
        // already rolled back
      }
      for (const it of items) it.reject(error);
      return;
    }
    items.forEach((it, i) => {
      const o = outcomes[i];
      if (o?.ok) it.resolve(o.value);
      else it.reject(o?.error);
    });
  }
}
