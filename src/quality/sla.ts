import type { Config } from "../content/types.js";
import { businessMinutes, scheduleOf } from "../engine/hours.js";
import type { RequestRecord } from "../ports/requests.js";

export type SlaPhase = "first_response" | "next_response" | "resolution" | "deadline";
export type SlaState = "green" | "amber" | "red";

export interface SlaClock {
  /** The clock nearest its target (or past it the most). */
  phase: SlaPhase;
  /** Business minutes counted so far, and the target. */
  elapsed: number;
  target: number;
  share: number;
  state: SlaState;
  /** Waiting on the user: no clock runs. */
  paused: boolean;
}

const stateOf = (share: number, warnAt: number): SlaState => (share >= 1 ? "red" : share >= warnAt ? "amber" : "green");

/**
 * A request's clocks now: those a person owes (the first answer, or the next one once the
 * user wrote again) and the resolution, less the stretches spent waiting on the user. Only
 * requests handed to people that are not resolved have one.
 */
export function slaClock(r: RequestRecord, c: Config, now: number): SlaClock | undefined {
  if (r.status === "resolved") return undefined;
  if (r.dueAt !== undefined) return deadlineClock(r, r.dueAt, c, now);
  if (!r.handoff) return undefined;
  const s = scheduleOf(c);
  const target = c.sla.targets[r.priority];
  const onUser = (r.onUserSince ?? 0) > 0;
  const clocks: Omit<SlaClock, "state" | "paused">[] = [];
  if (!r.firstResponseAt) {
    const elapsed = businessMinutes(r.createdAt, now, s);
    clocks.push({ phase: "first_response", elapsed, target: target.first_response_minutes, share: 0 });
  } else if ((r.awaitingSince ?? 0) > 0) {
    const elapsed = businessMinutes(r.awaitingSince ?? now, now, s);
    clocks.push({ phase: "next_response", elapsed, target: target.next_response_minutes, share: 0 });
  }
  const paused = onUser ? businessMinutes(r.onUserSince ?? now, now, s) : 0;
  const resolution = Math.max(0, businessMinutes(r.createdAt, now, s) - (r.pausedMinutes ?? 0) - paused);
  clocks.push({ phase: "resolution", elapsed: resolution, target: target.resolution_minutes, share: 0 });
  for (const k of clocks) k.share = k.elapsed / k.target;
  const worst = clocks.reduce((a, b) => (b.share > a.share ? b : a));
  return { ...worst, state: stateOf(worst.share, c.sla.warn_at), paused: onUser && !((r.awaitingSince ?? 0) > 0) };
}

/**
 * A request with a deadline of its own (a person's request about their data: the law counts
 * calendar time, config/privacy.yaml `deadlines`): one clock, from its filing to that moment.
 */
function deadlineClock(r: RequestRecord, dueAt: number, c: Config, now: number): SlaClock {
  const target = Math.max(1, Math.round((dueAt - r.createdAt) / 60_000));
  const elapsed = Math.max(0, Math.round((now - r.createdAt) / 60_000));
  const share = elapsed / target;
  return { phase: "deadline", elapsed, target, share, state: stateOf(share, c.sla.warn_at), paused: false };
}

/** Whether a resolved request kept its promised first-response and resolution times (or its deadline). */
export function slaMet(r: RequestRecord, c: Config): boolean | undefined {
  if (r.status === "resolved" && r.resolvedAt && r.dueAt !== undefined) return r.resolvedAt <= r.dueAt;
  if (!r.handoff || r.status !== "resolved" || !r.resolvedAt) return undefined;
  const s = scheduleOf(c);
  const target = c.sla.targets[r.priority];
  const first = businessMinutes(r.createdAt, r.firstResponseAt ?? r.resolvedAt, s);
  const resolution = businessMinutes(r.createdAt, r.resolvedAt, s) - (r.pausedMinutes ?? 0);
  return first <= target.first_response_minutes && resolution <= target.resolution_minutes;
}

/** Business minutes the user has waited for a person's answer on this request (0 when not waiting). */
export function waitedMinutes(r: Pick<RequestRecord, "createdAt">, c: Config, now: number): number {
  return businessMinutes(r.createdAt, now, scheduleOf(c));
}
