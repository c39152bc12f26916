import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Inbox, InboxHandler, InboxItem, Outbox, OutboxJob, Sender, SendOutcome } from "../../ports/queue.js";
import { DEDUPE_TTL_MS } from "../../queue/dedupe.js";
import type { LaneGroups } from "../../queue/lanes.js";
import { backoffMs, retryLogLevel, retryPlan } from "../../queue/retry.js";
import { RedisLock } from "./lock.js";

/**
 * Inbox and outbox shared by several processes on one Redis.
 *
 * Order across processes: BullMQ (open source) has no per-group ordering, so events do not
 * travel inside BullMQ jobs. Each conversation (each outbox lane) has its own Redis list;
 * recording an item claims its dedupe key and appends it to that list in one Lua step.
 * A BullMQ job then only says "drain this list": whichever worker takes it holds the
 * list's lock while it processes items head first, one at a time, so a conversation is
 * never processed in two places at once, whichever process received its messages.
 * After releasing the lock the drainer looks at the list again, which closes the race with
 * an item recorded while it was finishing. A set of non-empty lists lets a restarted or
 * surviving process pick up what a crashed one left.
 *
 * The lock's TTL is short and a heartbeat extends it while its holder works (a send may wait
 * on pacing or a slow platform for longer than the TTL), so a lock left by a killed process
 * frees itself within LOCK_TTL; whoever found it taken looks again when it expires.
 */

// 0: seen before. 1: recorded into an empty list (someone must be told to drain it).
// 2: recorded behind other items (whoever drains the list will reach it).
const RECORD = `
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[2]) then
  local n = redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[3])
  if n == 1 then return 1 end
  return 2
end
return 0`;

// Remove the head only if it is still the item we processed, and forget the list when empty;
// KEYS[3], when given, is the item's retry state, dropped in the same step.
const POP = `
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then redis.call('LPOP', KEYS[1]) end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
if KEYS[3] then redis.call('DEL', KEYS[3]) end
return redis.call('LLEN', KEYS[1])`;

const LOCK_TTL = 10_000;
/** Outbox job keys and retry state (inbox dedupe keys live `DEDUPE_TTL_MS`). */
const WEEK = 7 * 24 * 3600_000;

interface DrainJob {
  key: string;
}

/** Separate BullMQ queues per group: lanes of a stuck platform cannot take another's workers. */
export interface RedisLaneGroups extends LaneGroups {
  /** Every group a process must serve (a group not listed shares the queue `other`). */
  known: readonly string[];
}

abstract class RedisLists {
  private readonly queues = new Map<string, Queue<DrainJob>>();
  private readonly workers: Worker<DrainJob>[] = [];
  protected readonly lock: RedisLock;
  private sweeper?: NodeJS.Timeout;
  private stopped = false;
  /** While stopping, lists already held are still drained until then (ms since epoch). */
  private drainUntil = 0;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Lists found locked, with a look scheduled for when that lock expires. */
  private readonly rechecks = new Map<string, NodeJS.Timeout>();

  constructor(
    protected readonly redis: Redis,
    protected readonly prefix: string,
    private readonly name: string,
    protected readonly log: Logger,
    private readonly concurrency: number,
    private readonly groups?: RedisLaneGroups,
  ) {
    for (const q of this.queueNames()) {
      this.queues.set(q, new Queue<DrainJob>(q, { connection: redis, prefix: `${prefix}bull` }));
    }
    this.lock = new RedisLock(redis);
  }

  private queueNames(): string[] {
    if (!this.groups) return [this.name];
    return [...this.groups.known, "other"].map((g) => `${this.name}-${g}`);
  }

  /** The queue that drains `key`'s list: its group's, when lanes are grouped. */
  private queueOf(key: string): string {
    if (!this.groups) return this.name;
    const g = this.groups.of(key);
    return `${this.name}-${this.groups.known.includes(g) ? g : "other"}`;
  }

  private concurrencyOf(queue: string): number {
    if (!this.groups) return this.concurrency;
    return Math.max(1, this.groups.limit(queue.slice(this.name.length + 1)));
  }

  protected listKey(key: string): string {
    return `${this.prefix}${this.name}:list:${key}`;
  }

  protected get pendingSet(): string {
    return `${this.prefix}${this.name}:pending`;
  }

  protected async notify(keys: Iterable<string>, delay = 0): Promise<void> {
    const byQueue = new Map<string, { name: string; data: DrainJob; opts: object }[]>();
    for (const key of new Set(keys)) {
      const q = this.queueOf(key);
      const list = byQueue.get(q) ?? [];
      list.push({
        name: "drain",
        data: { key },
        opts: {
          delay,
          removeOnComplete: true,
          removeOnFail: 1000,
          attempts: 5,
          backoff: { type: "exponential", delay: 500 },
        },
      });
      byQueue.set(q, list);
    }
    await Promise.all([...byQueue].map(([q, jobs]) => this.queues.get(q)?.addBulk(jobs)));
  }

  protected startWorker(recover: boolean): void {
    for (const q of this.queues.keys()) {
      const worker = new Worker<DrainJob>(q, (job) => this.track(this.drain(job.data.key)), {
        connection: this.redis.duplicate({ maxRetriesPerRequest: null }),
        prefix: `${this.prefix}bull`,
        concurrency: this.concurrencyOf(q),
      });
      worker.on("error", (err) => this.log.error({ err }, `${q} worker error`));
      this.workers.push(worker);
    }
    const sweep = async () => {
      const keys = await this.redis.smembers(this.pendingSet);
      await this.notify(keys);
    };
    if (recover) void sweep().catch((err) => this.log.error({ err }, `${this.name}: recovery sweep failed`));
    // A process that died between recording and notifying leaves a list nobody drains: sweep.
    this.sweeper = setInterval(() => void sweep().catch(() => undefined), 15_000);
    this.sweeper.unref();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Drain one list while holding its lock; look again after releasing it. */
  private async drain(key: string): Promise<void> {
    for (let round = 0; round < 100 && !this.isStopped; round++) {
      const lockKey = `${this.prefix}${this.name}:lock:${key}`;
      const token = await this.lock.tryAcquire(lockKey, LOCK_TTL);
      if (!token) {
        // A live holder will see what we were told about; a dead one's lock expires: look then.
        await this.recheckAfter(key, lockKey);
        return;
      }
      let lost = false;
      const heartbeat = setInterval(() => {
        this.lock.extend(lockKey, token, LOCK_TTL).then(
          (held) => {
            if (!held) lost = true;
          },
          () => undefined,
        );
      }, LOCK_TTL / 3);
      let again = false;
      try {
        again = await this.drainHeld(key, async () => {
          if (lost || !(await this.lock.extend(lockKey, token, LOCK_TTL))) throw new Error(`lost the lock on ${key}`);
        });
      } finally {
        clearInterval(heartbeat);
        await this.lock.release(lockKey, token);
      }
      if (!again && (await this.redis.llen(this.listKey(key))) === 0) return;
      if (!again) continue;
      return;
    }
  }

  private async recheckAfter(key: string, lockKey: string): Promise<void> {
    if (this.stopped || this.rechecks.has(key)) return;
    const ttl = await this.redis.pttl(lockKey);
    const t = setTimeout(() => {
      this.rechecks.delete(key);
      if (!this.stopped) void this.notify([key]).catch(() => undefined);
    }, Math.max(ttl, 0) + 50);
    t.unref();
    this.rechecks.set(key, t);
  }

  /** Process the list's items in order. Returns true when it stopped early on purpose (a delayed retry). */
  protected abstract drainHeld(key: string, keepLock: () => Promise<void>): Promise<boolean>;

  protected async pop(key: string, raw: string, state?: string): Promise<number> {
    const keys = state ? [this.listKey(key), this.pendingSet, state] : [this.listKey(key), this.pendingSet];
    return (await this.redis.eval(POP, keys.length, ...keys, raw, key)) as number;
  }

  /** Stopping, and past the time given to finish the lists already held. */
  protected get isStopped(): boolean {
    return this.stopped && Date.now() >= this.drainUntil;
  }

  /**
   * Take no new drain jobs; the lists this process holds are finished until `drainUntil`,
   * the rest is left in Redis for the other processes (or the next start).
   */
  async stop(opts: { drainUntil?: number } = {}): Promise<void> {
    this.drainUntil = opts.drainUntil ?? 0;
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.inflight]);
    // A queue made moments ago may still be checking the Redis version on the shared
    // connection: let that finish, or closing the connection fails it unhandled.
    await Promise.all([...this.queues.values()].map((q) => q.waitUntilReady().catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  async pending(): Promise<number> {
    const keys = await this.redis.smembers(this.pendingSet);
    let n = 0;
    for (const k of keys) n += await this.redis.llen(this.listKey(k));
    return n;
  }
}

export class RedisInbox extends RedisLists implements Inbox {
  private handler?: InboxHandler;

  constructor(redis: Redis, prefix: string, log: Logger, concurrency = 32) {
    super(redis, prefix, "inbox", log, concurrency);
  }

  async record(items: InboxItem[]): Promise<boolean[]> {
    const fresh: boolean[] = [];
    const pipeline = this.redis.pipeline();
    for (const it of items) {
      pipeline.eval(
        RECORD,
        3,
        `${this.prefix}dedupe:${it.key}`,
        this.listKey(it.conv),
        this.pendingSet,
        JSON.stringify(it),
        String(DEDUPE_TTL_MS),
        it.conv,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    const convs: string[] = [];
    results.forEach(([err, res], i) => {
      if (err) throw err;
      fresh.push(res === 1 || res === 2);
      // A drain job only when the list was empty: a non-empty list is being drained (or is
      // waiting for its lock to expire, or for the sweep), and one job per message cost
      // ~126 Redis commands a message with thousands of idle jobs queued (BENCHMARKS.md).
      if (res === 1) convs.push(items[i]?.conv ?? "");
    });
    await this.notify(convs);
    return fresh;
  }

  start(handler: InboxHandler, opts: { recover?: boolean } = {}): void {
    this.handler = handler;
    this.startWorker(opts.recover !== false);
  }

  protected async drainHeld(conv: string, keepLock: () => Promise<void>): Promise<boolean> {
    const list = this.listKey(conv);
    let failures = 0;
    while (!this.isStopped) {
      const raw = await this.redis.lindex(list, 0);
      if (!raw || !this.handler) return false;
      try {
        await this.handler(JSON.parse(raw) as InboxItem);
      } catch (err) {
        failures++;
        this.log.error({ err, conv, attempt: failures }, "processing an event failed");
        if (failures < 5) {
          await new Promise((r) => setTimeout(r, backoffMs(failures, 0, 200, 5000)));
          await keepLock();
          continue;
        }
        // Park it so one poisoned event cannot block its conversation forever.
        await this.redis.rpush(`${this.prefix}inbox:dead`, raw);
      }
      failures = 0;
      await this.pop(conv, raw);
      await keepLock();
    }
    return false;
  }
}

interface Attempt {
  /** Failed attempts so far (waits a platform asked for, and outages, do not count). */
  attempts: number;
  /** Every try so far, for the backoff during an outage. */
  tries?: number;
  nextAt: number;
  /** When the first attempt was made, for the age cap. */
  first?: number;
}

export class RedisOutbox extends RedisLists implements Outbox {
  private sender?: Sender;
  private onFailure: ((job: OutboxJob, last: Extract<SendOutcome, { ok: false }>) => void) | undefined;

  constructor(
    redis: Redis,
    prefix: string,
    log: Logger,
    private readonly maxAttempts = 8,
    concurrency = 64,
    groups?: RedisLaneGroups,
  ) {
    super(redis, prefix, "outbox", log, concurrency, groups);
  }

  async enqueue(jobs: OutboxJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const j of jobs) {
      pipeline.eval(
        RECORD,
        3,
        `${this.prefix}outbox:key:${j.key}`,
        this.listKey(j.lane),
        this.pendingSet,
        JSON.stringify(j),
        String(WEEK),
        j.lane,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    const lanes: string[] = [];
    results.forEach(([err, res], i) => {
      if (err) throw err;
      if (res === 1) lanes.push(jobs[i]?.lane ?? "");
    });
    await this.notify(lanes);
  }

  start(
    sender: Sender,
    opts: { recover?: boolean; onFailure?: (job: OutboxJob, last: Extract<SendOutcome, { ok: false }>) => void } = {},
  ): void {
    this.sender = sender;
    this.onFailure = opts.onFailure;
    this.startWorker(opts.recover !== false);
  }

  private attemptsKey(job: OutboxJob): string {
    return `${this.prefix}outbox:attempt:${job.key}`;
  }

  protected async drainHeld(lane: string, keepLock: () => Promise<void>): Promise<boolean> {
    const list = this.listKey(lane);
    while (!this.isStopped) {
      const raw = await this.redis.lindex(list, 0);
      if (!raw || !this.sender) return false;
      const job = JSON.parse(raw) as OutboxJob;
      const stateRaw = await this.redis.get(this.attemptsKey(job));
      const state: Attempt = stateRaw
        ? (JSON.parse(stateRaw) as Attempt)
        : { attempts: 0, nextAt: 0, first: Date.now() };
      const wait = state.nextAt - Date.now();
      if (wait > 0) {
        await this.notify([lane], wait);
        return true;
      }
      const attempt = state.attempts + 1;
      let outcome: SendOutcome;
      try {
        outcome = await this.sender(job, attempt);
      } catch (err) {
        outcome = { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
      }
      const plan = outcome.ok
        ? undefined
        : retryPlan(
            outcome,
            state.attempts,
            state.first ?? Date.now(),
            this.maxAttempts,
            Date.now(),
            (state.tries ?? state.attempts) + 1,
          );
      if (outcome.ok || plan?.giveUp) {
        if (!outcome.ok) {
          this.log.warn({ lane, job: job.key, attempt, error: outcome.error }, "delivery failed for good");
          await this.redis.rpush(
            `${this.prefix}outbox:failed`,
            JSON.stringify({ job, error: outcome.error, at: Date.now() }),
          );
          this.onFailure?.(job, outcome);
        }
        // One step, right after the send: a crash in between is the only way to send it twice.
        await this.pop(lane, raw, this.attemptsKey(job));
        await keepLock();
        continue;
      }
      if (!plan || plan.giveUp) return false;
      const next: Attempt = {
        attempts: plan.attempts,
        tries: (state.tries ?? state.attempts) + 1,
        nextAt: Date.now() + plan.delayMs,
        first: state.first ?? Date.now(),
      };
      await this.redis.set(this.attemptsKey(job), JSON.stringify(next), "PX", WEEK);
      this.log[retryLogLevel(outcome)](
        { lane, job: job.key, attempt, delay: plan.delayMs, error: outcome.error },
        "delivery will be retried",
      );
      await this.notify([lane], plan.delayMs);
      return true;
    }
    return false;
  }
}
