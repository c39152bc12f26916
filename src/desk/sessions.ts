import { createHash, createHmac, randomBytes } from "node:crypto";
import type { DeskStore, OperatorAccount } from "../ports/desk.js";
import { secretEquals } from "../security/compare.js";
import type { Accounts } from "./accounts.js";
import type { LoginThrottle } from "./throttle.js";

export interface SessionLimits {
  /** A login ends after this long without a request... */
  idleMs: number;
  /** ...and this long after it began, whatever happens. */
  maxMs: number;
}

export const SESSION_LIMITS: SessionLimits = { idleMs: 8 * 3_600_000, maxMs: 7 * 24 * 3_600_000 };
/** The idle clock is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000;

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("base64url");

/**
 * The CSRF token of a login, derived from the session token (HMAC), so nothing more is
 * stored and it dies with the session. A page of another site can neither read it nor make
 * the browser send it: it travels in a header the console sets itself.
 */
export const csrfFor = (token: string) =>
  createHmac("sha256", token).update("hotro console csrf v1").digest("base64url");

export type LoginOutcome =
  | { ok: true; token: string; csrf: string; account: OperatorAccount }
  | { ok: false; status: 401 }
  | { ok: false; status: 429; retryAfterMs: number };

export interface ActiveSession {
  account: OperatorAccount;
  tokenHash: string;
  csrf: string;
}

/**
 * Console logins: a random 256-bit token in an HttpOnly cookie, stored only as its SHA-256
 * hash with an idle and an absolute limit; the operator's account is read again on every
 * request, so a changed role applies at once and a removed account logs out everywhere.
 */
export class ConsoleSessions {
  constructor(
    private readonly store: DeskStore,
    private readonly accounts: Accounts,
    private readonly throttle: LoginThrottle,
    readonly limits: SessionLimits = SESSION_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  async login(username: string, password: string, ip: string): Promise<LoginOutcome> {
    const name = username.trim().normalize("NFC").toLowerCase().slice(0, 64);
    const wait = await this.throttle.attempt(name, ip);
    if (wait > 0) return { ok: false, status: 429, retryAfterMs: wait };
    const account = await this.accounts.verify(name, password);
    if (!account) return { ok: false, status: 401 };
    await this.throttle.succeeded(name, ip);
    const token = randomBytes(32).toString("base64url");
    const at = this.now();
    await this.store.logins.create(
      {
        tokenHash: hashToken(token),
        operator: account.name,
        createdAt: at,
        lastSeenAt: at,
        expiresAt: at + this.limits.maxMs,
      },
      this.limits.idleMs,
    );
    return { ok: true, token, csrf: csrfFor(token), account };
  }

  /** The session a cookie's token opens, if it is still valid. */
  async resolve(token: string | undefined): Promise<ActiveSession | undefined> {
    if (!token || token.length > 128) return undefined;
    const tokenHash = hashToken(token);
    const login = await this.store.logins.get(tokenHash);
    const at = this.now();
    if (!login || login.expiresAt <= at || at - login.lastSeenAt > this.limits.idleMs) return undefined;
    const account = await this.store.operators.get(login.operator);
    if (!account) return undefined;
    if (at - login.lastSeenAt > TOUCH_EVERY_MS) await this.store.logins.touch(tokenHash, at, this.limits.idleMs);
    return { account, tokenHash, csrf: csrfFor(token) };
  }

  async logout(tokenHash: string): Promise<void> {
    await this.store.logins.revoke(tokenHash);
  }

  /** Whether a write carries the login's CSRF token (constant time). */
  static csrfMatches(given: unknown, session: ActiveSession): boolean {
    return secretEquals(given, session.csrf);
  }
}
