/** Percentiles and the reply ↔ message matching. */

export interface Dist {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function dist(values: number[]): Dist {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] ?? Number.NaN;
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: v.length,
    p50: r(at(0.5)),
    p90: r(at(0.9)),
    p99: r(at(0.99)),
    max: r(v[v.length - 1] ?? Number.NaN),
    mean: r(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)),
  };
}

export interface Matched {
  /** Send → reply arrival, ms, for messages answered 200 that got their reply. */
  e2eMs: number[];
  /** Messages answered 200 with no reply matched to them. */
  missing: number;
  /** Replies beyond the messages sent to their user (duplicates, or replies to unanswered requests). */
  extra: number;
  /** Arrival time of the last reply (our clock). */
  lastArrival: number;
}

/**
 * Messages of one user are processed and delivered in order, and a user's messages are
 * seconds apart: the k-th reply a user received answers the k-th message sent to them.
 * Requests left without an answer when the load stopped may still have been recorded (and
 * answered): they take part in the matching, but only answered (2xx) ones count.
 */
export function match(
  sent: { recipient: string; at: number; ok: boolean; answered: boolean }[],
  arrivals: [string, number[]][],
  offsetMs: number,
): Matched {
  const byUser = new Map<string, { at: number; ok: boolean; answered: boolean }[]>();
  for (const s of sent) {
    let l = byUser.get(s.recipient);
    if (!l) {
      l = [];
      byUser.set(s.recipient, l);
    }
    l.push(s);
  }
  const out: Matched = { e2eMs: [], missing: 0, extra: 0, lastArrival: 0 };
  const got = new Map(arrivals);
  for (const [user, msgs] of byUser) {
    msgs.sort((a, b) => a.at - b.at);
    const replies = (got.get(user) ?? []).map((t) => t - offsetMs).sort((a, b) => a - b);
    got.delete(user);
    // Requests the load cut off (no answer) come last for their user: drop them unless replied.
    let k = 0;
    for (const m of msgs) {
      const r = replies[k];
      if (r === undefined) {
        if (m.ok) out.missing++;
        continue;
      }
      if (!m.ok && !m.answered) {
        k++; // recorded after all: its reply is here
        continue;
      }
      k++;
      if (m.ok) out.e2eMs.push(r - m.at);
    }
    if (replies.length > k) out.extra += replies.length - k;
    for (const r of replies) if (r > out.lastArrival) out.lastArrival = r;
  }
  for (const [, rs] of got) {
    out.extra += rs.length;
    for (const r of rs) if (r - offsetMs > out.lastArrival) out.lastArrival = r - offsetMs;
  }
  return out;
}
