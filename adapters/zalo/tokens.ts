import { createHash } from "node:crypto";
import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { ChannelDeps, ChannelHealth } from "../../src/ports/channel.js";
import { type ZaloClient, ZaloNetworkError } from "./client.js";
import type { TokenRecord, ZaloTokenResponse } from "./types.js";

/**
 * The Zalo OA token lifecycle (../shared/notes/zalo-oa.md §6). The access token lives 25 h;
 * the refresh token lives 3 months and is single-use: every refresh returns a new one and
 * burns the old. Two processes refreshing with the same refresh token lose the grant (one
 * wins, the other gets "invalid refresh token", and whoever did not persist the winner's
 * pair leaves an OA admin to re-consent in a browser). So:
 *
 * - the pair lives in `deps.kv` (Redis when scaled out), key `zalo:tokens:<app id>`;
 * - ONE refresh at a time across the deployment: `deps.withLock("zalo-token")`, the stored
 *   pair re-read inside the lock, the refresh skipped when someone else already did it;
 *   inside one process, concurrent callers share a single in-flight refresh;
 * - the new pair is written to the store BEFORE it is used (if the store fails, the pair
 *   is kept in memory, used, written again at each use, and `health()` fails meanwhile);
 * - refresh 5 min before expiry on use, and proactively at 80% of the access token's life
 *   (20 h of 25) from a timer in every process (the lock and re-read make it one refresh);
 * - a refresh Zalo refuses (anything but a network failure, HTTP 5xx/429 or -32) marks the
 *   grant dead: one error log line, `health()` failing with the re-authorise reason, no
 *   more refresh attempts until a new pair shows up in the store (`npm run zalo:authorize`
 *   writes one; the adapter notices without a restart) or the process restarts.
 *
 * Which pair wins at start-up: the stored pair, always, unless nothing is stored (then the
 * environment seeds it) or `ZALO_REFRESH_TOKEN` changed since the stored pair recorded the
 * value it had seen (`envSeed`, a SHA-256 fingerprint): an admin put a new token in the
 * environment, so the environment wins once and is recorded. A pair written by
 * `zalo:authorize` has no `envSeed`: it wins, and the next start records the current value.
 */

export const ACCESS_TTL_FALLBACK_S = 90_000; // 25 h, when Zalo's expires_in is missing
const EARLY_MS = 5 * 60_000;
const PROACTIVE_FRACTION = 0.8;
const LOCK = "zalo-token";
export const REAUTH_HINT = "an OA admin must re-authorise the app: run `npm run zalo:authorize`";

export const tokenKey = (appId: string) => `zalo:tokens:${appId}`;
export const fingerprint = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");

/** The grant is gone: only a person can fix it (re-authorise). */
export class ReauthRequired extends Error {
  override name = "ReauthRequired";
}

/** No token right now, for a reason that passes (network, rate limit, lock busy). */
export class TokenUnavailable extends Error {
  override name = "TokenUnavailable";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface TokenManagerOptions {
  appId: string;
  appSecret: string;
  envRefreshToken: string;
  envAccessToken?: string;
  client: ZaloClient;
  kv: Keyv;
  withLock: ChannelDeps["withLock"];
  log: Logger;
  now?: () => number;
  /** How long the refresh lock may be held (default 30 s; the refresh call times out sooner). */
  lockTtlMs?: number;
}

/** Read a stored value defensively: anything not shaped like a pair counts as absent. */
function asRecord(v: unknown): TokenRecord | undefined {
  if (!v || typeof v !== "object") return undefined;
  const r = v as Partial<TokenRecord>;
  if (typeof r.refreshToken !== "string" || !r.refreshToken) return undefined;
  return {
    accessToken: typeof r.accessToken === "string" ? r.accessToken : "",
    refreshToken: r.refreshToken,
    accessExpiresAt: typeof r.accessExpiresAt === "number" ? r.accessExpiresAt : 0,
    version: typeof r.version === "number" ? r.version : 0,
    source: r.source ?? "env",
    updatedAt: typeof r.updatedAt === "number" ? r.updatedAt : 0,
    ...(typeof r.envSeed === "string" ? { envSeed: r.envSeed } : {}),
  };
}

/** A token response → a pair to store (or why not). */
export function recordFromResponse(
  j: ZaloTokenResponse | undefined,
  prev: { version: number; refreshToken?: string; envSeed?: string } | undefined,
  source: TokenRecord["source"],
  now: number,
): TokenRecord | undefined {
  if (!j || typeof j.access_token !== "string" || !j.access_token) return undefined;
  const s = Number(typeof j.expires_in === "string" ? j.expires_in.trim() : j.expires_in);
  const seconds = Number.isFinite(s) && s > 0 ? s : ACCESS_TTL_FALLBACK_S;
  const refreshToken =
    typeof j.refresh_token === "string" && j.refresh_token ? j.refresh_token : (prev?.refreshToken ?? "");
  if (!refreshToken) return undefined;
  const rec: TokenRecord = {
    accessToken: j.access_token,
    refreshToken,
    accessExpiresAt: now + seconds * 1000,
    version: (prev?.version ?? 0) + 1,
    source,
    updatedAt: now,
  };
  if (prev?.envSeed) rec.envSeed = prev.envSeed;
  return rec;
}

/** Zalo's refusal, in words for the log and /readyz (never the token). */
function describeRefusal(status: number, j: ZaloTokenResponse | undefined): string {
  if (!j) return `HTTP ${status}`;
  const code = j.error !== undefined ? `error ${j.error}` : `HTTP ${status}`;
  const words = [j.error_name, j.error_description ?? j.message].filter((w) => typeof w === "string" && w);
  return words.length ? `${code} ${words.join(": ")}` : code;
}

export class ZaloTokens {
  private readonly key: string;
  private readonly now: () => number;
  /** The newest pair this process knows (the store's, or one the store has not taken yet). */
  private memory?: TokenRecord;
  private unsaved = false;
  private inflight?: Promise<TokenRecord>;
  private initializing?: Promise<void>;
  private dead?: { refreshFp: string; reason: string };
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: TokenManagerOptions) {
    this.key = tokenKey(options.appId);
    this.now = options.now ?? Date.now;
  }

  health(): ChannelHealth {
    if (this.dead) return { ok: false, reason: this.dead.reason };
    if (this.unsaved)
      return {
        ok: false,
        reason: "Zalo tokens were refreshed but could not be saved to the store (kept in memory; retrying)",
      };
    return { ok: true };
  }

  /** A usable access token; `failed` is one Zalo just rejected (-216), forcing a refresh past it. */
  async accessToken(failed?: string): Promise<string> {
    await this.init();
    for (let round = 0; round < 3; round++) {
      const rec = await this.read();
      if (!rec) throw new TokenUnavailable("no Zalo token pair in the store yet");
      this.checkDead(rec);
      if (!this.needsRefresh(rec, failed, false)) return rec.accessToken;
      const next = await this.refreshShared(failed, false);
      if (next.accessToken !== failed) return next.accessToken;
    }
    throw new TokenUnavailable("Zalo access token could not be renewed");
  }

  /** Seed or adopt the pair (see the rule above), once, under the deployment-wide lock. */
  init(): Promise<void> {
    this.initializing ??= this.lock(async () => {
      const stored = asRecord(await this.options.kv.get(this.key));
      const envFp = fingerprint(this.options.envRefreshToken);
      const now = this.now();
      if (stored && stored.envSeed === envFp) {
        this.memory = stored;
        return;
      }
      if (stored && !stored.envSeed) {
        // Written by `zalo:authorize`: it wins; record the environment's value as seen.
        const rec = { ...stored, envSeed: envFp };
        await this.options.kv.set(this.key, rec);
        this.memory = rec;
        this.options.log.info({ version: rec.version }, "zalo: using the stored token pair (from zalo:authorize)");
        return;
      }
      const rec: TokenRecord = {
        accessToken: this.options.envAccessToken ?? "",
        refreshToken: this.options.envRefreshToken,
        // ZALO_ACCESS_TOKEN's age is unknown: it is used until Zalo rejects it or the timer renews it.
        accessExpiresAt: this.options.envAccessToken ? now + ACCESS_TTL_FALLBACK_S * 1000 : 0,
        version: (stored?.version ?? 0) + 1,
        source: "env",
        updatedAt: now,
        envSeed: envFp,
      };
      await this.options.kv.set(this.key, rec);
      this.memory = rec;
      if (stored)
        this.options.log.warn(
          { version: rec.version },
          "zalo: ZALO_REFRESH_TOKEN changed since the stored pair was saved: using the new value",
        );
      else this.options.log.info("zalo: token pair seeded from ZALO_REFRESH_TOKEN");
    }).catch((err) => {
      this.initializing = undefined; // try again at the next use
      throw err instanceof TokenUnavailable ? err : new TokenUnavailable(`zalo token store: ${errText(err)}`);
    });
    return this.initializing;
  }

  /** Refresh now if the pair is past 80% of its life (the timer's job); never throws. */
  async refreshIfDue(): Promise<void> {
    try {
      await this.init();
      const rec = await this.read();
      if (!rec) return;
      this.checkDead(rec);
      if (this.needsRefresh(rec, undefined, true)) await this.refreshShared(undefined, true);
    } catch (err) {
      if (!(err instanceof ReauthRequired))
        this.options.log.warn({ err: errText(err) }, "zalo: scheduled token refresh did not happen; will retry");
    }
  }

  /** The timer: checks when the pair is due (at most hourly, every minute while the grant is dead). */
  startTimer(): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      await this.refreshIfDue();
      if (this.stopped) return;
      this.timer = setTimeout(tick, this.nextTickMs());
      this.timer.unref();
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  stopTimer(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private nextTickMs(): number {
    if (this.dead || this.unsaved) return 60_000;
    const rec = this.memory;
    if (!rec) return 60_000;
    const due = this.dueAt(rec) - this.now();
    return Math.max(1_000, Math.min(due, 60 * 60_000));
  }

  private dueAt(rec: TokenRecord): number {
    return rec.updatedAt + PROACTIVE_FRACTION * Math.max(0, rec.accessExpiresAt - rec.updatedAt);
  }

  private needsRefresh(rec: TokenRecord, failed: string | undefined, proactive: boolean): boolean {
    const now = this.now();
    if (!rec.accessToken || rec.accessToken === failed) return true;
    if (rec.accessExpiresAt - now <= EARLY_MS) return true;
    return proactive && now >= this.dueAt(rec);
  }

  /** While the grant is dead, only a different refresh token in the store (re-authorised) revives it. */
  private checkDead(rec: TokenRecord): void {
    if (!this.dead) return;
    if (fingerprint(rec.refreshToken) === this.dead.refreshFp) throw new ReauthRequired(this.dead.reason);
    this.dead = undefined;
    this.options.log.info({ version: rec.version }, "zalo: a new token pair is in the store: sending again");
  }

  /** The stored pair (or memory's, when it is newer than what the store could take). */
  private async read(): Promise<TokenRecord | undefined> {
    let stored: TokenRecord | undefined;
    try {
      stored = asRecord(await this.options.kv.get(this.key));
    } catch (err) {
      this.options.log.warn({ err: errText(err) }, "zalo: token store unreadable: using the pair in memory");
      return this.memory;
    }
    if (this.unsaved && this.memory && this.memory.version > (stored?.version ?? 0)) {
      await this.save(this.memory, 1);
      return this.memory;
    }
    if (stored) this.memory = stored;
    return stored ?? this.memory;
  }

  /** One in-flight refresh per process; across processes the lock does the rest. */
  private async refreshShared(failed: string | undefined, proactive: boolean): Promise<TokenRecord> {
    if (!this.inflight) {
      this.inflight = this.refreshLocked(failed, proactive).finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async refreshLocked(failed: string | undefined, proactive: boolean): Promise<TokenRecord> {
    return this.lock(async () => {
      const rec = await this.read(); // re-read inside the lock: someone may have refreshed already
      if (!rec) throw new TokenUnavailable("no Zalo token pair in the store");
      this.checkDead(rec);
      if (!this.needsRefresh(rec, failed, proactive)) return rec;
      const next = await this.callRefresh(rec);
      await this.save(next, 3); // durable BEFORE anyone uses it
      this.options.log.info(
        { version: next.version, expiresAt: new Date(next.accessExpiresAt).toISOString() },
        "zalo: access token refreshed",
      );
      return next;
    });
  }

  private async callRefresh(rec: TokenRecord): Promise<TokenRecord> {
    let res: Awaited<ReturnType<ZaloClient["oauthToken"]>>;
    try {
      res = await this.options.client.oauthToken(this.options.appSecret, {
        app_id: this.options.appId,
        grant_type: "refresh_token",
        refresh_token: rec.refreshToken,
      });
    } catch (err) {
      if (err instanceof ZaloNetworkError) throw new TokenUnavailable(err.message);
      throw err;
    }
    const j = res.json;
    const next = recordFromResponse(j, rec, "refresh", this.now());
    if (next && res.status < 300) return next;
    const code = Number(j?.error);
    if (res.status >= 500 || res.status === 429 || code === -32 || (res.status < 300 && !j)) {
      throw new TokenUnavailable(
        `Zalo could not refresh the access token now (${describeRefusal(res.status, j)})`,
        res.retryAfterMs ?? (code === -32 ? 30_000 : undefined),
      );
    }
    const reason = `Zalo refused to refresh the access token (${describeRefusal(res.status, j)}): ${REAUTH_HINT}`;
    this.dead = { refreshFp: fingerprint(rec.refreshToken), reason };
    this.options.log.error({ status: res.status, code: j?.error }, `zalo: ${reason}`);
    throw new ReauthRequired(reason);
  }

  /** Write a pair; on failure keep it in memory (the old refresh token is already burned). */
  private async save(rec: TokenRecord, attempts: number): Promise<void> {
    this.memory = rec;
    for (let i = 1; i <= attempts; i++) {
      try {
        await this.options.kv.set(this.key, rec);
        if (this.unsaved) this.options.log.info({ version: rec.version }, "zalo: token pair saved to the store");
        this.unsaved = false;
        return;
      } catch (err) {
        if (i === attempts) {
          if (!this.unsaved)
            this.options.log.error(
              { err: errText(err), version: rec.version },
              "zalo: the refreshed token pair could not be saved: kept in memory, saving again at each use",
            );
          this.unsaved = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * i));
      }
    }
  }

  private async lock<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.options.withLock(LOCK, this.options.lockTtlMs ?? 30_000, fn);
    } catch (err) {
      if (err instanceof ReauthRequired || err instanceof TokenUnavailable) throw err;
      throw new TokenUnavailable(`zalo token lock or store: ${errText(err)}`);
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
