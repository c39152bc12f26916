import type { SendOutcome } from "../ports/queue.js";

export const MAX_RETRY_AGE_MS = 6 * 3600_000;

/**
 * After a failed send: give up, or try again after `delayMs`. Failures count toward
 * `maxAttempts`; waits a platform asked for (429 `retry_after`) or pacing do not, so a busy
 * group or a quota cannot exhaust a message's attempts; an age cap ends those instead.
 */
export function retryPlan(
  outcome: Extract<SendOutcome, { ok: false }>,
  attempts: number,
  firstAt: number,
  maxAttempts: number,
  now = Date.now(),
  /** Every try so far, this one included (outages do not count as attempts, but back off on these). */
  tries = attempts + 1,
): { giveUp: true } | { giveUp: false; delayMs: number; attempts: number } {
  if (outcome.permanent) return { giveUp: true };
  const waitAsked = outcome.paced === true || outcome.retryAfterMs !== undefined;
  const counted = waitAsked || outcome.outage ? attempts : attempts + 1;
  if (counted >= maxAttempts || now - firstAt > MAX_RETRY_AGE_MS) return { giveUp: true };
  if (outcome.paced) return { giveUp: false, delayMs: Math.max(1, outcome.retryAfterMs ?? 1), attempts: counted };
  // A little jitter on top of retry_after, so many lanes told the same wait do not return at once.
  if (outcome.retryAfterMs !== undefined) {
    return { giveUp: false, delayMs: outcome.retryAfterMs + Math.round(Math.random() * 250), attempts: counted };
  }
  const delayMs = outcome.outage ? backoffMs(tries, 0, 500, OUTAGE_BACKOFF_CAP_MS) : backoffMs(counted);
  return { giveUp: false, delayMs, attempts: counted };
}

/** During an outage, how long a message waits at most between two tries (it arrives soon after the platform is back). */
export const OUTAGE_BACKOFF_CAP_MS = 30_000;

/** Exponential backoff with full jitter, capped; a platform's `retry_after` wins when longer. */
export function backoffMs(attempt: number, retryAfterMs = 0, base = 500, cap = 60_000): number {
  const exp = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.max(retryAfterMs, Math.round(jittered));
}

/** How loudly to log a retry: pacing and held-back sends are routine (debug), real failures are not. */
export function retryLogLevel(outcome: Extract<SendOutcome, { ok: false }>): "debug" | "info" {
  return !outcome.permanent && (outcome.paced || outcome.held) ? "debug" : "info";
}
