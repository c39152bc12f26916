import type { ChannelDeps } from "../../src/ports/channel.js";
import type { Entry } from "./types.js";

interface Stored {
  /** The last `seq` given out; never reused, even when old entries are dropped. */
  seq: number;
  items: Entry[];
}

/**
 * Each visitor's recent messages, in the shared kv store (Redis when scaled out), so a reload,
 * another tab or another server process shows the same conversation. Bounded to the last
 * `max` entries and expiring `ttlMs` after the last one. Writes go through the deployment-wide
 * lock: the visitor's socket and the outbox worker delivering a reply may be different processes.
 */
export class History {
  constructor(
    private readonly deps: Pick<ChannelDeps, "kv" | "withLock">,
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  private key(visitor: string): string {
    return `webchat:history:${visitor}`;
  }

  async list(visitor: string): Promise<Entry[]> {
    const s = (await this.deps.kv.get(this.key(visitor))) as Stored | undefined;
    return s?.items ?? [];
  }

  /** Store an entry (once per id: a resent message keeps its first place); `fresh` says whether it is new. */
  async append(visitor: string, e: Omit<Entry, "seq">): Promise<{ entry: Entry; fresh: boolean }> {
    return this.deps.withLock(`webchat:history:${visitor}`, 5_000, async () => {
      const s = ((await this.deps.kv.get(this.key(visitor))) as Stored | undefined) ?? { seq: 0, items: [] };
      const seen = s.items.find((x) => x.id === e.id);
      if (seen) return { entry: seen, fresh: false };
      const entry: Entry = { ...e, seq: s.seq + 1 };
      const items = [...s.items, entry].slice(-this.max);
      await this.deps.kv.set(this.key(visitor), { seq: entry.seq, items } satisfies Stored, this.ttlMs);
      return { entry, fresh: true };
    });
  }

  /** Take back an entry whose message could not be recorded (the browser will resend it). */
  async remove(visitor: string, id: string): Promise<void> {
    await this.deps.withLock(`webchat:history:${visitor}`, 5_000, async () => {
      const s = (await this.deps.kv.get(this.key(visitor))) as Stored | undefined;
      if (!s?.items.some((x) => x.id === id)) return;
      await this.deps.kv.set(this.key(visitor), { ...s, items: s.items.filter((x) => x.id !== id) }, this.ttlMs);
    });
  }
}
