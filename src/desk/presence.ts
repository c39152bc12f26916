import type { Keyv } from "keyv";

const KEY = "desk:presence";

type Seen = Record<string, { displayName: string; until: number }>;

export interface Online {
  name: string;
  displayName: string;
}

/**
 * Who has the console open, kept in the shared kv so every process (and the engine, telling
 * a user when a person will answer) sees the same list. Each process writes its own
 * operators with a short lease and renews it while their sockets stay open; a process that
 * dies simply stops renewing, and its operators drop off when the lease runs out.
 */
export class Presence {
  constructor(
    private readonly kv: Keyv,
    private readonly withLock: <T>(name: string, ttlMs: number, fn: () => Promise<T>) => Promise<T>,
    readonly leaseMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  private change(fn: (seen: Seen, now: number) => void): Promise<Online[]> {
    return this.withLock(KEY, 5_000, async () => {
      const now = this.now();
      const seen = ((await this.kv.get(KEY)) as Seen | undefined) ?? {};
      for (const [k, v] of Object.entries(seen)) if (v.until <= now) delete seen[k];
      fn(seen, now);
      await this.kv.set(KEY, seen, this.leaseMs);
      return listOf(seen);
    });
  }

  /** These operators are here (a new lease for each). */
  renew(here: Online[]): Promise<Online[]> {
    return this.change((seen, now) => {
      for (const o of here) seen[o.name] = { displayName: o.displayName, until: now + this.leaseMs };
    });
  }

  /** This operator closed their last console here (another process may still renew them). */
  leave(name: string): Promise<Online[]> {
    return this.change((seen) => {
      delete seen[name];
    });
  }

  async online(): Promise<Online[]> {
    const now = this.now();
    const seen = ((await this.kv.get(KEY)) as Seen | undefined) ?? {};
    return listOf(Object.fromEntries(Object.entries(seen).filter(([, v]) => v.until > now)));
  }
}

function listOf(seen: Seen): Online[] {
  return Object.entries(seen)
    .map(([name, v]) => ({ name, displayName: v.displayName }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
