import type { FastifyReply, FastifyRequest } from "fastify";
import { EnvError } from "../../src/config/env.js";

/** An origin as browsers send it: scheme, host and port, nothing else. */
const ORIGIN = /^https?:\/\/[^/?#\s]+$/i;

/** `https://Shop.Example.vn:443` → `https://shop.example.vn`; undefined when it is not an origin. */
export function normalizeOrigin(value: string): string | undefined {
  if (!ORIGIN.test(value)) return undefined;
  try {
    const u = new URL(value);
    return u.origin;
  } catch {
    return undefined;
  }
}

/** `WEBCHAT_ALLOWED_ORIGINS`: comma-separated origins; a malformed one stops start-up, naming the variable. */
export function originsFromEnv(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const part of value.split(",")) {
    const s = part.trim();
    if (!s) continue;
    const o = normalizeOrigin(s);
    if (!o) throw new EnvError([`WEBCHAT_ALLOWED_ORIGINS: "${s}" is not an origin such as https://shop.example.vn`]);
    out.push(o);
  }
  return out;
}

export type OriginVerdict = "absent" | "same" | "listed" | "refused";

/**
 * Who may talk to the chat from a browser. Browsers always send `Origin` on a WebSocket
 * upgrade and on cross-origin fetches, so the check protects visitors from a foreign page
 * driving the chat in their name (cross-site WebSocket hijacking). A request without
 * `Origin` is not from a page (curl, a native app) and could forge the header anyway: allowed.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;
  constructor(allowed: readonly string[]) {
    this.allowed = new Set(allowed.map((o) => normalizeOrigin(o)).filter((o): o is string => !!o));
  }

  get list(): string[] {
    return [...this.allowed];
  }

  check(origin: string | undefined, host: string | undefined): OriginVerdict {
    if (origin === undefined) return "absent";
    const o = normalizeOrigin(origin);
    if (!o) return "refused"; // "null" (sandboxed frames, file://) and garbage
    if (host && new URL(o).host === host.toLowerCase()) return "same";
    return this.allowed.has(o) ? "listed" : "refused";
  }

  /** CORS for one request: true when it may go on (headers set); false when answered 403. */
  answer(req: FastifyRequest, reply: FastifyReply): boolean {
    const origin = req.headers.origin;
    const verdict = this.check(origin, req.headers.host);
    reply.header("vary", "Origin");
    if (verdict === "refused") {
      void reply.code(403).send({ error: "origin not allowed" });
      return false;
    }
    if (origin && verdict !== "absent") reply.header("access-control-allow-origin", origin);
    return true;
  }
}

/**
 * At most `max` messages per key in any window of `windowMs` (a sliding log: exact, and small
 * because `max` is). Per process: with several processes a visitor spread over them gets a
 * little more, and the engine's own flood control still applies to the conversation.
 */
export class RateLimiter {
  private readonly log = new Map<string, number[]>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const times = (this.log.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length >= this.max) {
      this.log.set(key, times);
      return { ok: false, retryAfterMs: Math.max(1, (times[0] ?? now) + this.windowMs - now) };
    }
    times.push(now);
    this.log.set(key, times);
    return { ok: true };
  }

  /** Forget keys with nothing in the window (called periodically). */
  sweep(now = Date.now()): void {
    for (const [k, times] of this.log) if (!times.some((t) => t > now - this.windowMs)) this.log.delete(k);
  }
}
