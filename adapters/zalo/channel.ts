import type { FastifyInstance } from "fastify";
import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { ChannelCapabilities } from "../../src/ports/capabilities.js";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/ports/channel.js";
import type { InboundEvent } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { dropStale } from "../../src/queue/dedupe.js";
import { asRecord, type Rec } from "../shared/read.js";
import { ZaloClient, ZaloNetworkError } from "./client.js";
import { mapZaloEvent, parseJsonKeepingBigInts, str } from "./inbound.js";
import { classifyZaloError, toZaloBody } from "./outbound.js";
import { ReauthRequired, TokenUnavailable, ZaloTokens } from "./tokens.js";
import { verifyZaloSignature } from "./verify.js";

/**
 * What Zalo OA shows. Text: 2,000 characters a message. Quick replies and buttons share
 * the one button list of a CS template (at most 5, titles up to 100 characters), so a
 * message carries either; quick replies are hidden-query buttons. Images by URL (media
 * template). No typing indicator in the OA API.
 */
export const ZALO_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 2000,
  maxQuickReplies: 5,
  maxQuickReplyTitle: 100,
  maxButtons: 5,
  maxButtonTitle: 100,
  buttonTypes: ["url", "phone", "postback"],
  maxTextWithButtons: 2000,
  quickRepliesWithButtons: false,
  images: true,
  typing: false,
  // CS messages only within 7 days of the user's last interaction (notes/zalo-oa.md §7: -230/-232 after).
  replyWindow: { botHours: 7 * 24, personHours: 7 * 24 },
};

export interface ZaloOptions {
  appId: string;
  appSecret: string;
  oaSecretKey: string;
  refreshToken: string;
  accessToken?: string;
  apiUrl: string;
  oauthUrl: string;
  /** Back-off after Zalo's rate limit (-32); jittered ×1–2 (default 5 s). */
  rateLimitRetryMs?: number;
  /** Proactive refresh timer (default on; tests turn it off to drive refreshes themselves). */
  refreshTimer?: boolean;
  /** HTTP timeout per request (default 10 s). */
  timeoutMs?: number;
  now?: () => number;
}

/** Display names are cached this long; a failed lookup is not retried for NAME_MISS_TTL. */
const NAME_TTL = 7 * 24 * 3600_000;
const NAME_MISS_TTL = 10 * 60_000;
/** Message ids our own sends got back: an echo of them is never a person's reply. */
const SENT_TTL = 3600_000;

/**
 * The Zalo Official Account channel: `POST /webhooks/zalo` in, `POST /v3.0/oa/message/cs` out.
 *
 * Webhook: the raw body is kept (own JSON parser in this plugin scope) and parsed with ids
 * as strings; the `X-ZEvent-Signature` must match before anything else happens. Answers:
 * 400 for a body that is not a JSON object; 401 for a missing or wrong signature, or an
 * `app_id` that is not ours; except a request with no signature header and no
 * `event_name` (the console's "test" ping carries nothing to act on): 200 `{ok:false}`,
 * dropped. A verified event is recorded (`intake.accept`) and then answered 200 (receipts,
 * echoes of our own sends, unknown events and bodies whose fields cannot be mapped: 200
 * without recording). Zalo retries the same signed body for up to hours; the msg_id dedupe
 * drops the repeats, and an event whose own `timestamp` is older than the dedupe window
 * (`src/runtime/dedupe.ts`) is acknowledged and dropped, since dedupe may have forgotten it.
 *
 * Display names: read from the kv cache at intake (never a network call on a message's way);
 * looked up (`/v3.0/oa/user/detail`) when operators need one (`displayName`), cached 7 days,
 * so the user's later events carry it. A failed lookup is cached as a miss for 10 minutes.
 */
export class ZaloChannel implements ChannelAdapter {
  readonly id = "zalo" as const;
  readonly name = "Zalo";
  readonly capabilities = ZALO_CAPABILITIES;
  readonly client: ZaloClient;
  readonly tokens: ZaloTokens;
  private readonly log: Logger;
  private readonly kv: Keyv;
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(
    private readonly o: ZaloOptions,
    deps: ChannelDeps,
  ) {
    this.log = deps.log.child({ channel: "zalo" });
    this.kv = deps.kv;
    this.client = new ZaloClient({
      apiUrl: o.apiUrl,
      oauthUrl: o.oauthUrl,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
    this.tokens = new ZaloTokens({
      appId: o.appId,
      appSecret: o.appSecret,
      envRefreshToken: o.refreshToken,
      ...(o.accessToken ? { envAccessToken: o.accessToken } : {}),
      client: this.client,
      kv: deps.kv,
      withLock: deps.withLock,
      log: this.log,
      ...(o.now ? { now: o.now } : {}),
    });
  }

  routes(app: FastifyInstance, intake: Intake): void {
    // This scope only: keep the exact bytes, the signature is computed over them.
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

    app.post("/webhooks/zalo", async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let body: Rec | undefined;
      try {
        body = asRecord(parseJsonKeepingBigInts(raw.toString("utf8")));
      } catch {
        body = undefined;
      }
      if (!body) return reply.status(400).send({ error: "malformed body" });
      const header = req.headers["x-zevent-signature"];
      const appId = str(body.app_id) ?? "";
      const timestamp = str(body.timestamp) ?? "";
      if (!verifyZaloSignature(header, raw, appId, timestamp, this.o.oaSecretKey)) {
        if (!header && !str(body.event_name)) return reply.status(200).send({ ok: false });
        this.log.warn({ event: str(body.event_name), signed: !!header }, "zalo: event with a bad signature dropped");
        return reply.status(401).send({ error: "bad signature" });
      }
      if (appId !== this.o.appId) {
        this.log.warn({ event: str(body.event_name) }, "zalo: signed event for another app_id dropped");
        return reply.status(401).send({ error: "unknown app" });
      }
      // Zalo numbers its redeliveries; worth seeing (it disables a webhook that keeps failing).
      const retry = req.headers.num_retry;
      if (retry && retry !== "0") this.log.info({ event: str(body.event_name), retry }, "zalo: redelivered event");
      const now = this.o.now?.() ?? Date.now();
      const { events, ignored } = mapZaloEvent(body, now);
      if (ignored) this.log.debug({ event: str(body.event_name), why: ignored, retry }, "zalo: event ignored");
      const keep = await this.filterOwnEchoes(dropStale(events, now, this.log));
      if (keep.length > 0) {
        await this.attachNames(keep);
        await intake.accept(keep);
      }
      void reply.status(200).send({ ok: true });
      return reply;
    });
  }

  async start(): Promise<void> {
    try {
      await this.tokens.init();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "zalo: token store not ready yet; retrying at first use");
    }
    if (this.o.refreshTimer !== false) this.tokens.startTimer();
  }

  async stop(): Promise<void> {
    this.tokens.stopTimer();
    await Promise.allSettled([...this.lookups.values()]);
    await this.client.close();
  }

  health(): ChannelHealth {
    return this.tokens.health();
  }

  /**
   * Deliver one rendered message. Zalo answers HTTP 200 with `error ≠ 0` on failure:
   * -216/-220 (token) → one shared refresh, one retry; -32 → later; the window, follower and
   * account codes → permanent, with the reason in words; HTTP 5xx, 429 and network → later.
   */
  async send(job: SendJob): Promise<SendOutcome> {
    const body = toZaloBody(job.userId, job.message);
    let token: string;
    try {
      token = await this.tokens.accessToken();
    } catch (err) {
      return this.tokenFailure(err);
    }
    let outcome = await this.post(token, body);
    if (outcome === "auth") {
      try {
        token = await this.tokens.accessToken(token);
      } catch (err) {
        return this.tokenFailure(err);
      }
      outcome = await this.post(token, body);
      if (outcome === "auth") {
        const error = "Zalo rejected the access token even after a refresh (error -216): check the OA's authorisation";
        this.log.error({ conv: job.conv }, `zalo: ${error}`);
        return { ok: false, permanent: true, error };
      }
    }
    if (!outcome.ok) {
      this.log.warn(
        { conv: job.conv, permanent: outcome.permanent, error: outcome.error },
        "zalo: message not delivered",
      );
    }
    return outcome;
  }

  private async post(token: string, body: ReturnType<typeof toZaloBody>): Promise<SendOutcome | "auth"> {
    let res: Awaited<ReturnType<ZaloClient["sendCs"]>>;
    try {
      res = await this.client.sendCs(token, body);
    } catch (err) {
      if (err instanceof ZaloNetworkError) return { ok: false, permanent: false, error: err.message };
      throw err;
    }
    if (res.status >= 500 || res.status === 429) {
      const out: SendOutcome = { ok: false, permanent: false, error: `Zalo answered HTTP ${res.status}` };
      if (res.retryAfterMs) out.retryAfterMs = res.retryAfterMs;
      return out;
    }
    if (res.status === 401) return "auth";
    const j = res.json;
    if (!j) {
      return res.status < 300
        ? { ok: false, permanent: false, error: `Zalo answered HTTP ${res.status} without JSON` }
        : { ok: false, permanent: true, error: `Zalo answered HTTP ${res.status}` };
    }
    const code = Number(j.error ?? 0);
    if (code === 0 && res.status < 300) {
      const mid = str(j.data?.message_id);
      if (mid) await this.kv.set(`zalo:sent:${mid}`, 1, SENT_TTL).catch(() => undefined);
      return { ok: true };
    }
    const c = classifyZaloError(code || -res.status, typeof j.message === "string" ? j.message : undefined);
    if (c.kind === "auth") return "auth";
    if (c.kind === "transient") {
      const base = this.o.rateLimitRetryMs ?? 5_000;
      return { ok: false, permanent: false, error: c.error, retryAfterMs: Math.round(base * (1 + Math.random())) };
    }
    if (c.config) this.log.error({ code }, `zalo: ${c.error}`);
    return { ok: false, permanent: true, error: c.error };
  }

  private tokenFailure(err: unknown): SendOutcome {
    if (err instanceof ReauthRequired)
      return { ok: false, permanent: false, error: `Zalo authorisation lost: ${err.message}`, retryAfterMs: 60_000 };
    if (err instanceof TokenUnavailable) {
      const out: SendOutcome = { ok: false, permanent: false, error: err.message };
      if (err.retryAfterMs) out.retryAfterMs = err.retryAfterMs;
      return out;
    }
    return { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
  }

  /** A person's echo whose msg_id one of our sends got back is ours after all. */
  private async filterOwnEchoes(events: InboundEvent[]): Promise<InboundEvent[]> {
    const out: InboundEvent[] = [];
    for (const e of events) {
      if (e.kind === "human_reply" && e.platformMessageId) {
        const ours = await this.kv.get(`zalo:sent:${e.platformMessageId}`).catch(() => undefined);
        if (ours) continue;
      }
      out.push(e);
    }
    return out;
  }

  private async attachNames(events: InboundEvent[]): Promise<void> {
    for (const e of events) {
      if (e.kind === "human_reply" || e.kind === "unfollow") continue;
      const cached = (await this.kv.get(`zalo:name:${e.userId}`).catch(() => undefined)) as
        | { name?: string }
        | undefined;
      if (cached?.name) e.displayName = cached.name;
    }
  }

  /** The user's display name for operators (`/v3.0/oa/user/detail`), cached 7 days. */
  async displayName(userId: string): Promise<string | undefined> {
    this.lookupName(userId);
    await this.lookups.get(userId);
    const cached = (await this.kv.get(`zalo:name:${userId}`).catch(() => undefined)) as { name?: string } | undefined;
    return cached?.name;
  }

  /** Look a user's display name up (one lookup at a time per user). */
  private lookupName(userId: string): void {
    if (this.lookups.has(userId)) return;
    const run = (async () => {
      const key = `zalo:name:${userId}`;
      if (await this.kv.get(key).catch(() => undefined)) return; // cached (or a recent miss)
      let name: string | undefined;
      try {
        const token = await this.tokens.accessToken();
        const res = await this.client.userDetail(token, userId);
        const d = res.json?.data;
        name = str(d?.display_name) ?? str(d?.user_alias);
        if (!name) this.log.debug({ status: res.status, code: res.json?.error }, "zalo: no display name");
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, "zalo: display name lookup failed");
      }
      await this.kv.set(key, name ? { name } : { miss: true }, name ? NAME_TTL : NAME_MISS_TTL).catch(() => undefined);
    })().finally(() => this.lookups.delete(userId));
    this.lookups.set(userId, run);
  }
}

export { ZaloTokens } from "./tokens.js";
