import type { WebchatFloods } from "../../src/content/schema.js";
import type { ChannelDeps, EscalationAdmission } from "../../src/ports/channel.js";
import { addToNotice } from "../../src/runtime/notices.js";

const MINUTE = 60_000;

interface Window {
  /** Store key of the window's times. */
  key: string;
  max: number;
  ms: number;
}

/**
 * The live chat's flood limits (`limits.webchat`), counted in the shared store under the
 * deployment-wide lock, so every process sees the same counts. Only new visitors and new
 * requests are counted, both rare next to messages, so the store round trips are cheap; a key
 * found full is also remembered in this process until its window frees a place, so a flood of
 * refused attempts costs no store access at all.
 */
export class Floods {
  private readonly full = new Map<string, number>();

  constructor(
    private readonly deps: Pick<ChannelDeps, "kv" | "withLock">,
    private readonly limits: WebchatFloods,
  ) {}

  /** Times in the window (oldest first), from the store. */
  private async times(w: Window, now: number): Promise<number[]> {
    const all = ((await this.deps.kv.get(w.key)) as number[] | undefined) ?? [];
    return all.filter((t) => t > now - w.ms);
  }

  private async record(w: Window, times: number[], now: number): Promise<void> {
    await this.deps.kv.set(w.key, [...times, now], w.ms);
  }

  private blockedFor(key: string, now: number): number {
    const until = this.full.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.full.delete(key);
    return 0;
  }

  /**
   * May one more new visitor come from `net`? `retryAfterMs` when not (`known`: this process had
   * already found the network full). Sliding window: exact, and small, because the limit is.
   */
  async newVisitor(
    net: string,
    now = Date.now(),
  ): Promise<{ ok: true } | { ok: false; retryAfterMs: number; known: boolean }> {
    const w: Window = {
      key: `webchat:flood:visitors:${net}`,
      max: this.limits.new_visitors_per_ip,
      ms: this.limits.new_visitors_minutes * MINUTE,
    };
    const blocked = this.blockedFor(w.key, now);
    if (blocked) return { ok: false, retryAfterMs: blocked, known: true };
    return this.deps.withLock(w.key, 5_000, async () => {
      const times = await this.times(w, now);
      if (times.length >= w.max) {
        const retryAfterMs = Math.max(1, (times[0] ?? now) + w.ms - now);
        this.full.set(w.key, now + retryAfterMs);
        if (this.full.size > 10_000) this.sweep(now);
        return { ok: false, retryAfterMs, known: false };
      }
      await this.record(w, times, now);
      return { ok: true };
    });
  }

  /**
   * Whether a new request of a visitor from `net` gets its own topic in the operators' group,
   * or goes into the current burst's notice. Decided once per request (a replay after a crash
   * gets the same answer).
   */
  async admitEscalation(net: string, requestId: string, now = Date.now()): Promise<EscalationAdmission> {
    const perIp: Window = {
      key: `webchat:flood:escalations:${net}`,
      max: this.limits.escalations_per_ip,
      ms: this.limits.escalations_per_ip_minutes * MINUTE,
    };
    const all: Window = { key: "webchat:flood:escalations", max: this.limits.escalations_per_minute, ms: MINUTE };
    const decided = `webchat:flood:admitted:${requestId}`;
    return this.deps.withLock("webchat:flood:escalations", 5_000, async () => {
      const before = (await this.deps.kv.get(decided)) as EscalationAdmission | undefined;
      if (before) return before;
      const [mine, everyone] = [await this.times(perIp, now), await this.times(all, now)];
      let out: EscalationAdmission;
      if (mine.length < perIp.max && everyone.length < all.max) {
        await this.record(perIp, mine, now);
        await this.record(all, everyone, now);
        out = { post: true };
      } else {
        out = { post: false, notice: await this.currentNotice(requestId, now) };
      }
      await this.deps.kv.set(decided, out, 7 * 24 * 60 * MINUTE);
      return out;
    });
  }

  /** The burst's notice (one per `notice_minutes`, from the first request it holds), with `requestId` added. */
  private async currentNotice(requestId: string, now: number): Promise<string> {
    const pointer = "webchat:flood:notice";
    let id = (await this.deps.kv.get(pointer)) as string | undefined;
    if (!id) {
      id = `webchat-${now.toString(36)}`;
      await this.deps.kv.set(pointer, id, this.limits.notice_minutes * MINUTE);
    }
    await addToNotice(this.deps.kv, id, "webchat", requestId, now);
    return id;
  }

  /** Forget keys whose window has freed a place. */
  sweep(now = Date.now()): void {
    for (const [k, until] of this.full) if (until <= now) this.full.delete(k);
  }
}
