/** Lanes share budgets by group (the outbox: one per channel, one for operators' posts). */
export interface LaneGroups {
  /** The group a lane key belongs to (`telegram:123` → `telegram`). */
  of(key: string): string;
  /** How many of the group's lanes may work at once. */
  limit(group: string): number;
}

/** Lane keys are `<group>:<rest>` (a conversation key, `ops:<request id>`). */
export const groupOfKey = (key: string): string => {
  const i = key.indexOf(":");
  return i < 0 ? key : key.slice(0, i);
};

/** A counting semaphore: `take` resolves when a place is free, `give` frees one. */
class Places {
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  constructor(private readonly size: number) {}
  take(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
  /** On stop: let every waiter through (each counts as taken, so its `give` balances). */
  wakeAll(): void {
    for (const w of this.waiting.splice(0)) {
      this.active++;
      w();
    }
  }
}

/**
 * Per-key serial workers: one lane per conversation runs its items one at a time, in order,
 * while different lanes run in parallel up to `concurrency`. A lane drains its backlog, then
 * ends; `kick(key)` starts it again when new work arrives. With `groups`, each group also
 * has its own budget, so lanes stuck on one platform cannot take every worker.
 */
export class Lanes {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly all: Places;
  private readonly byGroup = new Map<string, Places>();
  private stopped = false;

  constructor(
    /** Process the lane's next item; resolve `false` when the lane has nothing left (or must wait). */
    private readonly step: (key: string) => Promise<boolean>,
    concurrency = 64,
    private readonly groups?: LaneGroups,
  ) {
    this.all = new Places(concurrency);
  }

  private groupPlaces(key: string): Places | undefined {
    if (!this.groups) return undefined;
    const g = this.groups.of(key);
    let p = this.byGroup.get(g);
    if (!p) {
      p = new Places(Math.max(1, this.groups.limit(g)));
      this.byGroup.set(g, p);
    }
    return p;
  }

  kick(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    const run = this.run(key).finally(() => {
      this.running.delete(key);
      if (this.again.delete(key)) this.kick(key);
    });
    this.running.set(key, run);
  }

  private async run(key: string): Promise<void> {
    const group = this.groupPlaces(key);
    for (;;) {
      this.again.delete(key);
      // The group's place first: a lane waiting for its group holds none of the shared ones.
      await group?.take();
      await this.all.take();
      let more: boolean;
      try {
        more = this.stopped ? false : await this.step(key);
      } finally {
        this.all.give();
        group?.give();
      }
      if (!more) return;
    }
  }

  get size(): number {
    return this.running.size;
  }

  /**
   * Stop starting new steps; resolves when every step in progress has finished. Until
   * `drainUntil` (ms since epoch) the lanes first work through their backlog, kicks included.
   */
  async stop(drainUntil = 0): Promise<void> {
    while (this.running.size > 0 && Date.now() < drainUntil) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running.values()]),
        new Promise((r) => {
          timer = setTimeout(r, drainUntil - Date.now());
        }),
      ]);
      clearTimeout(timer);
    }
    this.stopped = true;
    this.all.wakeAll();
    for (const p of this.byGroup.values()) p.wakeAll();
    await Promise.allSettled([...this.running.values()]);
  }
}

/** The outbox's budgets: one per channel, and the operators' posts (`ops:` lanes) their own. */
export function outboxGroups(delivery: { per_channel: number; operators: number }): LaneGroups {
  return { of: groupOfKey, limit: (g) => (g === "ops" ? delivery.operators : delivery.per_channel) };
}
