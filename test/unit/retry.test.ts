import { describe, expect, it } from "vitest";
import { MAX_RETRY_AGE_MS, retryPlan } from "../../src/queue/retry.js";

describe("retry plan", () => {
  const now = 1_000_000_000;
  it("gives up at once on a permanent error", () => {
    expect(retryPlan({ ok: false, permanent: true, error: "blocked" }, 0, now, 8, now)).toEqual({ giveUp: true });
  });
  it("counts failures toward the attempt budget, with growing backoff", () => {
    const a = retryPlan({ ok: false, permanent: false, error: "500" }, 0, now, 8, now);
    const b = retryPlan({ ok: false, permanent: false, error: "500" }, 5, now, 8, now);
    expect(a).toMatchObject({ giveUp: false, attempts: 1 });
    expect(b).toMatchObject({ giveUp: false, attempts: 6 });
    if (!a.giveUp && !b.giveUp) expect(b.delayMs).toBeGreaterThan(a.delayMs);
    expect(retryPlan({ ok: false, permanent: false, error: "500" }, 7, now, 8, now)).toEqual({ giveUp: true });
  });
  it("does not spend attempts on a platform's retry_after or on pacing, and honours the wait", () => {
    const limited = retryPlan({ ok: false, permanent: false, error: "429", retryAfterMs: 3000 }, 7, now, 8, now);
    expect(limited).toMatchObject({ giveUp: false, attempts: 7 });
    if (!limited.giveUp) expect(limited.delayMs).toBeGreaterThanOrEqual(3000);
    expect(
      retryPlan({ ok: false, permanent: false, error: "paced", retryAfterMs: 1500, paced: true }, 7, now, 8, now),
    ).toEqual({
      giveUp: false,
      delayMs: 1500,
      attempts: 7,
    });
  });
  it("ends endless waits by age", () => {
    const old = now - MAX_RETRY_AGE_MS - 1;
    expect(retryPlan({ ok: false, permanent: false, error: "429", retryAfterMs: 1000 }, 0, old, 8, now)).toEqual({
      giveUp: true,
    });
  });
});

describe("retry plan during an outage", () => {
  const now = 1_000_000_000;
  it("spends no attempt while the platform is out of reach, backs off on the tries, and stops at the age cap", () => {
    const outage = { ok: false as const, permanent: false as const, error: "network: timeout", outage: true };
    const early = retryPlan(outage, 7, now, 8, now, 2);
    const late = retryPlan(outage, 7, now, 8, now, 20);
    expect(early).toMatchObject({ giveUp: false, attempts: 7 });
    expect(late).toMatchObject({ giveUp: false, attempts: 7 });
    if (!early.giveUp && !late.giveUp) {
      expect(late.delayMs).toBeGreaterThan(early.delayMs);
      expect(late.delayMs).toBeLessThanOrEqual(30_000);
    }
    expect(retryPlan(outage, 0, now - MAX_RETRY_AGE_MS - 1, 8, now, 500)).toEqual({ giveUp: true });
  });
});
