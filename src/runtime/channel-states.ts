import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import type { ChannelAdapter } from "../ports/channel.js";
import type { ChannelId } from "../ports/message.js";
import type { SendOutcome } from "../ports/queue.js";

/**
 * `up`: sending works. `starting`: the adapter has not reached its platform yet.
 * `unreachable`: sends keep failing for reasons that may pass (network, 5xx, timeouts).
 * `down`: the adapter says it cannot work until someone acts (a refused token).
 */
export const CHANNEL_STATES = ["up", "starting", "unreachable", "down"] as const;
export type ChannelState = (typeof CHANNEL_STATES)[number];

export interface ChannelStatus {
  ok: boolean;
  state: ChannelState;
  reason?: string;
}

/** Failed sends in a row, with no success between, before a channel counts as unreachable. */
const UNREACHABLE_AFTER = 3;
/** While a channel is out of reach, one send this often (per process) tests whether it is back. */
export const PROBE_EVERY_MS = 2_000;

/**
 * What each channel can do right now, from its adapter's own health and from how its sends
 * go. Reported in `/readyz`'s body and as metrics, and logged once per change: a channel that
 * cannot reach its platform is visible, but never takes the server (or the other channels)
 * out of service.
 */
export class ChannelStates {
  private readonly failures = new Map<ChannelId, { inARow: number; lastError: string }>();
  private readonly logged = new Map<ChannelId, string>();
  private readonly lastProbe = new Map<ChannelId, number>();

  constructor(
    private readonly channels: Map<ChannelId, ChannelAdapter>,
    private readonly log: Logger,
    registry?: Registry,
  ) {
    if (!registry) return;
    const self = this;
    new Gauge({
      name: "hotro_channel_state",
      help: "1 for each channel's current state (up, starting, unreachable, down), 0 for the others",
      labelNames: ["channel", "state"],
      registers: [registry],
      collect() {
        for (const [id, s] of Object.entries(self.snapshot())) {
          for (const state of CHANNEL_STATES) this.set({ channel: id, state }, s.state === state ? 1 : 0);
        }
      },
    });
  }

  /** After each send: failures that may pass mark the channel unreachable, a success clears it. */
  observe(channel: ChannelId, outcome: SendOutcome): void {
    if (outcome.ok) {
      // The common case costs one map lookup: only a channel that was failing changes state.
      if (this.failures.delete(channel)) this.logChanges();
    } else if (!outcome.permanent && !outcome.paced && outcome.retryAfterMs === undefined) {
      // Permanent errors concern one user (blocked, window closed); a 429 or pacing is the
      // platform working as agreed. Neither says the platform is out of reach.
      const f = this.failures.get(channel) ?? { inARow: 0, lastError: "" };
      this.failures.set(channel, { inARow: f.inARow + 1, lastError: outcome.error });
      if (f.inARow + 1 === UNREACHABLE_AFTER) this.logChanges();
    }
  }

  /**
   * Whether a send may call the platform now. While the channel is unreachable, one send in
   * PROBE_EVERY_MS goes through to test it; the others wait their turn in the outbox instead
   * of each spending a full timeout on a platform that does not answer.
   */
  admit(channel: ChannelId, now = Date.now()): boolean {
    if (this.status(channel).state !== "unreachable") return true;
    if (now - (this.lastProbe.get(channel) ?? 0) < PROBE_EVERY_MS) return false;
    this.lastProbe.set(channel, now);
    return true;
  }

  status(id: ChannelId): ChannelStatus {
    const adapter = this.channels.get(id);
    const h = adapter?.health() ?? { ok: false, reason: "not enabled" };
    if (!h.ok) {
      const state: ChannelState = h.state ?? "down";
      return { ok: false, state, ...(h.reason ? { reason: h.reason } : {}) };
    }
    const f = this.failures.get(id);
    if (f && f.inARow >= UNREACHABLE_AFTER) {
      return { ok: false, state: "unreachable", reason: `${f.inARow} sends in a row failed: ${f.lastError}` };
    }
    return { ok: true, state: "up" };
  }

  snapshot(): Record<string, ChannelStatus> {
    const out: Record<string, ChannelStatus> = {};
    for (const id of this.channels.keys()) out[id] = this.status(id);
    return out;
  }

  /** One log line per change of state (not per failed send). */
  logChanges(): void {
    for (const id of this.channels.keys()) {
      const s = this.status(id);
      if (this.logged.get(id) === s.state) continue;
      const first = !this.logged.has(id);
      this.logged.set(id, s.state);
      if (first && s.ok) continue;
      if (s.ok) this.log.info({ channel: id, state: s.state }, `${id}: channel up`);
      else this.log.warn({ channel: id, state: s.state, reason: s.reason }, `${id}: channel ${s.state}`);
    }
  }
}
