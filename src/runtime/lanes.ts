/**
 * Per-key serial workers: one lane per conversation runs its items one at a time, in order,
 * while different lanes run in parallel up to `concurrency`. A lane drains its backlog, then
 * ends; `kick(key)` starts it again when new work arrives.
 */
export class Lanes {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private stopped = false;

  constructor(
    /** Process the lane's next item; resolve `false` when the lane has nothing left (or must wait). */
    private readonly step: (key: string) => Promise<boolean>,
    private readonly concurrency = 64,
  ) {}

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
    for (;;) {
      this.again.delete(key);
      await this.acquire();
      let more: boolean;
      try {
        more = this.stopped ? false : await this.step(key);
      } finally {
        this.release();
      }
      if (!more) return;
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
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
    for (const w of this.waiting.splice(0)) w();
    await Promise.allSettled([...this.running.values()]);
  }
}
