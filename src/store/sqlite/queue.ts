import type { Logger } from "pino";
import type { Inbox, InboxHandler, InboxItem, Outbox, OutboxJob, Sender, SendOutcome } from "../../ports/queue.js";
import { DEDUPE_TTL_MS } from "../../queue/dedupe.js";
import { type LaneGroups, Lanes } from "../../queue/lanes.js";
import { backoffMs, retryLogLevel, retryPlan } from "../../queue/retry.js";
import type { WriteBatch } from "./batch.js";
import { type Db, prepared } from "./db.js";

const DONE = 1;
const FAILED = 2;

/**
 * Inbox on the embedded SQLite file. `record` claims the dedupe key and inserts the item
 * in one transaction, so a redelivery is dropped and an acknowledged item is never lost.
 * Dedupe keys are kept `DEDUPE_TTL_MS` (adapters drop events older than that).
 */
export class SqliteInbox implements Inbox {
  private lanes?: Lanes;
  private handler?: InboxHandler;
  private readonly claim;
  private readonly insert;
  private readonly next;
  private readonly done;
  private readonly fail;
  private readonly failures = new Map<number, number>();
  private purgeTimer?: NodeJS.Timeout;
  private readonly sql: Db["prepare"];

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
    private readonly log: Logger,
  ) {
    this.sql = prepared(db);
    this.claim = db.prepare("INSERT OR IGNORE INTO dedupe (key, expires) VALUES (?, ?)");
    this.insert = db.prepare("INSERT INTO inbox (conv, body, received) VALUES (?, ?, ?)");
    this.next = db.prepare<[string], { seq: number; body: string }>(
      "SELECT seq, body FROM inbox WHERE state = 0 AND conv = ? ORDER BY seq LIMIT 1",
    );
    this.done = db.prepare("DELETE FROM inbox WHERE seq = ?");
    this.fail = db.prepare(`UPDATE inbox SET state = ${FAILED} WHERE seq = ?`);
  }

  async record(items: InboxItem[]): Promise<boolean[]> {
    const now = Date.now();
    // Claim and record in one step, committed (with whatever else this tick writes) before
    // the caller hears back: only then may a webhook answer 200.
    const fresh = await this.batch.run(() =>
      items.map((it) => {
        if (this.claim.run(it.key, now + DEDUPE_TTL_MS).changes === 0) return false;
        this.insert.run(it.conv, JSON.stringify(it), now);
        return true;
      }),
    );
    items.forEach((it, i) => {
      if (fresh[i]) this.lanes?.kick(it.conv);
    });
    return fresh;
  }

  start(handler: InboxHandler, opts: { recover?: boolean } = {}): void {
    this.handler = handler;
    this.lanes = new Lanes((conv) => this.step(conv));
    if (opts.recover !== false) {
      const convs = this.sql<[], { conv: string }>("SELECT DISTINCT conv FROM inbox WHERE state = 0").all();
      for (const { conv } of convs) this.lanes.kick(conv);
    }
    this.purgeTimer = setInterval(() => this.sql("DELETE FROM dedupe WHERE expires < ?").run(Date.now()), 3600_000);
    this.purgeTimer.unref();
  }

  private async step(conv: string): Promise<boolean> {
    const row = this.next.get(conv);
    if (!row || !this.handler) return false;
    try {
      await this.handler(JSON.parse(row.body) as InboxItem);
      await this.batch.run(() => this.done.run(row.seq));
      this.failures.delete(row.seq);
      return true;
    } catch (err) {
      const n = (this.failures.get(row.seq) ?? 0) + 1;
      this.failures.set(row.seq, n);
      this.log.error({ err, conv, seq: row.seq, attempt: n }, "processing an event failed");
      if (n >= 5) {
        // Park it so one poisoned event cannot block its conversation forever.
        await this.batch.run(() => this.fail.run(row.seq));
        this.failures.delete(row.seq);
        return true;
      }
      await new Promise((r) => setTimeout(r, backoffMs(n, 0, 200, 5000)));
      return true;
    }
  }

  async stop(opts: { drainUntil?: number } = {}): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.lanes?.stop(opts.drainUntil);
  }

  async pending(): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM inbox WHERE state = 0").get() as { n: number }).n;
  }
}

/**
 * Outbox on the embedded SQLite file: durable jobs delivered in order per lane, retried with
 * backoff on transient errors, recorded as failed on permanent ones.
 */
export class SqliteOutbox implements Outbox {
  private lanes?: Lanes;
  private sender?: Sender;
  private onFailure: ((job: OutboxJob, last: Extract<SendOutcome, { ok: false }>) => void) | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private purgeTimer?: NodeJS.Timeout;
  private readonly sql: Db["prepare"];
  private readonly insert;
  private readonly next;

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
    private readonly log: Logger,
    private readonly maxAttempts = 8,
    /** Per-channel budgets (a stuck platform holds only its own share of the workers). */
    private readonly groups?: LaneGroups,
  ) {
    this.sql = prepared(db);
    this.insert = db.prepare("INSERT OR IGNORE INTO outbox (job_key, lane, body, created) VALUES (?, ?, ?, ?)");
    this.next = db.prepare<
      [string],
      { seq: number; body: string; attempts: number; failures: number; next_at: number; created: number }
    >(
      "SELECT seq, body, attempts, failures, next_at, created FROM outbox WHERE state = 0 AND lane = ? ORDER BY seq LIMIT 1",
    );
  }

  async enqueue(jobs: OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const now = Date.now();
    await this.batch.run(() => {
      for (const j of jobs) this.insert.run(j.key, j.lane, JSON.stringify(j), now);
    });
    for (const lane of new Set(jobs.map((j) => j.lane))) this.lanes?.kick(lane);
  }

  start(
    sender: Sender,
    opts: { recover?: boolean; onFailure?: (job: OutboxJob, last: Extract<SendOutcome, { ok: false }>) => void } = {},
  ): void {
    this.sender = sender;
    this.onFailure = opts.onFailure;
    this.lanes = new Lanes((lane) => this.step(lane), 128, this.groups);
    if (opts.recover !== false) {
      for (const { lane } of this.sql<[], { lane: string }>("SELECT DISTINCT lane FROM outbox WHERE state = 0").all()) {
        this.lanes.kick(lane);
      }
    }
    // Sent jobs are kept a day (their keys make a replay after a crash enqueue nothing
    // twice), failed ones 30 days for inspection; then the file stops growing.
    this.purgeTimer = setInterval(() => {
      const now = Date.now();
      this.sql(`DELETE FROM outbox WHERE state = ${DONE} AND created < ?`).run(now - 24 * 3600_000);
      this.sql(`DELETE FROM outbox WHERE state = ${FAILED} AND created < ?`).run(now - 30 * 24 * 3600_000);
    }, 3600_000);
    this.purgeTimer.unref();
  }

  private async step(lane: string): Promise<boolean> {
    const row = this.next.get(lane);
    if (!row || !this.sender) return false;
    const wait = row.next_at - Date.now();
    if (wait > 0) {
      // Wait without holding a worker: the lane is kicked again when its time comes.
      if (!this.timers.has(lane)) {
        const t = setTimeout(() => {
          this.timers.delete(lane);
          this.lanes?.kick(lane);
        }, wait);
        this.timers.set(lane, t);
      }
      return false;
    }
    const job = JSON.parse(row.body) as OutboxJob;
    const attempt = row.attempts + 1;
    let outcome: Awaited<ReturnType<Sender>>;
    try {
      outcome = await this.sender(job, attempt);
    } catch (err) {
      outcome = { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.ok) {
      await this.batch.run(() =>
        this.sql(`UPDATE outbox SET state = ${DONE}, attempts = ? WHERE seq = ?`).run(attempt, row.seq),
      );
      return true;
    }
    const plan = retryPlan(outcome, row.failures, row.created, this.maxAttempts, Date.now(), attempt);
    if (plan.giveUp) {
      await this.batch.run(() =>
        this.sql(`UPDATE outbox SET state = ${FAILED}, attempts = ?, error = ? WHERE seq = ?`).run(
          attempt,
          outcome.error,
          row.seq,
        ),
      );
      this.log.warn({ lane, job: job.key, attempt, error: outcome.error }, "delivery failed for good");
      this.onFailure?.(job, outcome);
      return true;
    }
    const nextAt = Date.now() + plan.delayMs;
    await this.batch.run(() =>
      this.sql("UPDATE outbox SET attempts = ?, failures = ?, next_at = ?, error = ? WHERE seq = ?").run(
        attempt,
        plan.attempts,
        nextAt,
        outcome.error,
        row.seq,
      ),
    );
    this.log[retryLogLevel(outcome)](
      { lane, job: job.key, attempt, delay: plan.delayMs, error: outcome.error },
      "delivery will be retried",
    );
    return true;
  }

  async stop(opts: { drainUntil?: number } = {}): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.lanes?.stop(opts.drainUntil);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  async pending(): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM outbox WHERE state = 0").get() as { n: number }).n;
  }
}
