/**
 * Token buckets per chat: a short burst, then one message per interval (Telegram: about one
 * per second in a private chat, 20 per minute in a group). Waiting here keeps messages
 * instead of losing them to a 429.
 */
export class Pacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
  ) {}

  /** How long until a message may go to `chat` (0: now), without taking the slot. */
  delay(chat: string): number {
    const b = this.buckets.get(chat);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + (Date.now() - b.at) / this.intervalMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * this.intervalMs);
  }

  /**
   * Take `n` slots at once, only if `keep` would still be left afterwards: 0 when taken, else
   * how long until it could be. Never waits or goes into debt, so whoever calls `take` later
   * finds the `keep` slots free (`keep` is lowered so that `n + keep` fits in a burst).
   */
  tryTake(chat: string, n: number, keep: number): number {
    const now = Date.now();
    const b = this.buckets.get(chat) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) / this.intervalMs);
    b.at = now;
    this.buckets.set(chat, b);
    const need = n + Math.max(0, Math.min(keep, this.burst - n));
    if (b.tokens >= need) {
      b.tokens -= n;
      return 0;
    }
    return Math.ceil((need - b.tokens) * this.intervalMs);
  }

  /** Resolves when a message may go to `chat`; `onWait` is told first when that takes a while. */
  async take(chat: string, onWait?: (ms: number) => void): Promise<void> {
    const now = Date.now();
    const b = this.buckets.get(chat) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) / this.intervalMs);
    b.at = now;
    this.buckets.set(chat, b);
    if (b.tokens < 1) {
      const wait = Math.ceil((1 - b.tokens) * this.intervalMs);
      onWait?.(wait);
      b.tokens -= 1; // reserve our slot before sleeping, so concurrent senders queue behind it
      await new Promise((r) => setTimeout(r, wait));
      return;
    }
    b.tokens -= 1;
    if (this.buckets.size > 10_000) {
      for (const [k, v] of this.buckets) if (now - v.at > 60_000) this.buckets.delete(k);
    }
  }
}
