import type { FastifyInstance } from "fastify";
import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { ChannelCapabilities } from "../../src/ports/capabilities.js";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/ports/channel.js";
import type { MediaPort } from "../../src/ports/media.js";
import type { InboundEvent } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { dropStale } from "../../src/queue/dedupe.js";
import { keepRawBodies, rawBody } from "../shared/raw-body.js";
import { asRecord, type Rec } from "../shared/read.js";
import { ZALO_CAPABILITIES } from "./capabilities.js";
import { ZaloClient, ZaloNetworkError } from "./client.js";
import { mapZaloEvent, parseJsonKeepingBigInts, str } from "./inbound.js";
import { uploadFor } from "./media.js";
import {
  ALTERNATIVES,
  classifyError,
  PAYLOAD_ERRORS,
  type Reference,
  toZaloBody,
  userInfoCard,
  withReference,
} from "./outbound.js";
import { ReauthRequired, TokenUnavailable, ZaloTokens } from "./tokens.js";
import type { ZaloSendBody } from "./types.js";
import { verifyZaloSignature } from "./verify.js";

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
  /** ZALO_REPLY_REFERENCE: how a reply names the user's message (default `quote`). */
  replyReference?: "quote" | "recipient" | "off";
  /** ZALO_FREE_REPLY_HOURS (default 48). */
  freeReplyHours?: number;
  /** ZALO_REPLY_WINDOW_DAYS (default 7). */
  replyWindowDays?: number;
  /** ZALO_USER_INFO_IMAGE_URL: when set, a phone question also sends the request_user_info card. */
  userInfoImageUrl?: string;
  /** The brand's name (the card's title), read at each use. */
  brand?: () => string;
}

/** The user's last message, as the webhook brought it: replies name it, and the window runs from it. */
interface LastMessage {
  msgId?: string;
  at: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Our clock reads the user's message a little after Zalo's: stay clear of the edge. */
const WINDOW_MARGIN_MS = 60_000;
/** "Nhắn tin" on the OA profile greets again only after this long without a greeting or a message. */
const CHATNOW_QUIET_MS = DAY;
/** A follow greets once: a re-follow within a year does not. */
const FOLLOWED_TTL_MS = 365 * DAY;

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
  readonly capabilities: ChannelCapabilities;
  readonly client: ZaloClient;
  readonly tokens: ZaloTokens;
  private readonly log: Logger;
  private readonly kv: Keyv;
  private readonly media: MediaPort | undefined;
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(
    private readonly options: ZaloOptions,
    deps: ChannelDeps,
  ) {
    this.log = deps.log.child({ channel: "zalo" });
    this.kv = deps.kv;
    this.media = deps.media;
    const days = options.replyWindowDays ?? 7;
    this.capabilities = {
      ...ZALO_CAPABILITIES,
      replyWindow: { botHours: days * 24, personHours: days * 24, freeHours: options.freeReplyHours ?? 48 },
      contactRequest: !!options.userInfoImageUrl,
    };
    this.client = new ZaloClient({
      apiUrl: options.apiUrl,
      oauthUrl: options.oauthUrl,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    this.tokens = new ZaloTokens({
      appId: options.appId,
      appSecret: options.appSecret,
      envRefreshToken: options.refreshToken,
      ...(options.accessToken ? { envAccessToken: options.accessToken } : {}),
      client: this.client,
      kv: deps.kv,
      withLock: deps.withLock,
      log: this.log,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  routes(app: FastifyInstance, intake: Intake): void {
    // The signature is computed over the exact bytes Zalo sent: keep them.
    keepRawBodies(app);

    app.post("/webhooks/zalo", async (req, reply) => {
      const raw = rawBody(req);
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
      if (!verifyZaloSignature(header, raw, appId, timestamp, this.options.oaSecretKey)) {
        if (!header && !str(body.event_name)) return reply.status(200).send({ ok: false });
        this.log.warn({ event: str(body.event_name), signed: !!header }, "zalo: event with a bad signature dropped");
        return reply.status(401).send({ error: "bad signature" });
      }
      if (appId !== this.options.appId) {
        this.log.warn({ event: str(body.event_name) }, "zalo: signed event for another app_id dropped");
        return reply.status(401).send({ error: "unknown app" });
      }
      // Zalo numbers its redeliveries; worth seeing (it disables a webhook that keeps failing).
      const retry = req.headers.num_retry;
      if (retry && retry !== "0") this.log.info({ event: str(body.event_name), retry }, "zalo: redelivered event");
      const now = this.options.now?.() ?? Date.now();
      const { events, ignored } = mapZaloEvent(body, now);
      if (ignored) this.log.debug({ event: str(body.event_name), why: ignored, retry }, "zalo: event ignored");
      const keep = await this.firstContact(await this.filterOwnEchoes(dropStale(events, now, this.log)));
      await this.rememberLast(keep);
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
    if (this.options.refreshTimer !== false) this.tokens.startTimer();
  }

  async stop(): Promise<void> {
    this.tokens.stopTimer();
    await Promise.allSettled([...this.lookups.values()]);
    await this.client.close();
  }

  health(): ChannelHealth {
    return this.tokens.health();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private async last(userId: string): Promise<LastMessage | undefined> {
    return (await this.kv.get(`zalo:last:${userId}`).catch(() => undefined)) as LastMessage | undefined;
  }

  /**
   * Deliver one rendered message, tied to the user's last message (ZALO_REPLY_REFERENCE) and
   * only inside the window: past ZALO_REPLY_WINDOW_DAYS since the user last wrote it is refused
   * here (`window_closed`, with what operators can do instead) rather than by Zalo. Zalo
   * answers HTTP 200 with `error ≠ 0` on failure: -216/-220 (token) → one shared refresh, one
   * retry; -32 → later; a malformed-request code with a reference → once more without it; the
   * window, follower and account codes → permanent, with the reason in words; HTTP 5xx, 429 and
   * network → later. A phone question (`ask`) is followed by the request_user_info card when
   * configured; a refused card leaves the typed answer.
   */
  async send(job: SendJob): Promise<SendOutcome> {
    const last = await this.last(job.userId);
    const lastAt = Math.max(job.userLastAt ?? 0, last?.at ?? 0);
    const days = this.options.replyWindowDays ?? 7;
    if (lastAt > 0 && this.now() - lastAt > days * DAY - WINDOW_MARGIN_MS) {
      const ago = Math.floor((this.now() - lastAt) / DAY);
      const error = `not sent: the user last wrote ${ago} day(s) ago and Zalo accepts consultation messages for ${days} days only. ${ALTERNATIVES}`;
      this.log.info({ conv: job.conv, byPerson: !!job.byPerson }, "zalo: message outside the reply window not sent");
      return { ok: false, permanent: true, error, reason: "window_closed" };
    }
    const mode = this.options.replyReference ?? "quote";
    const ref: Reference | undefined = last?.msgId && mode !== "off" ? { mode, messageId: last.msgId } : undefined;
    let bodyOf = (reference?: Reference) => toZaloBody(job.userId, job.message, reference);
    if (job.message.attachment) {
      // A file goes up to Zalo first; the message refers to what the upload gave.
      const up = await uploadFor(job.message.attachment, {
        client: this.client,
        media: this.media,
        kv: this.kv,
        token: (stale) => this.tokens.accessToken(stale),
      });
      if ("outcome" in up) {
        if (!up.outcome.ok) this.log.warn({ conv: job.conv, error: up.outcome.error }, "zalo: file not sent");
        return up.outcome;
      }
      bodyOf = (reference) =>
        withReference({ recipient: { user_id: job.userId }, message: { attachment: up.attachment } }, reference);
    }
    let r = await this.deliver(job, bodyOf(ref));
    if (ref && r.code !== undefined && PAYLOAD_ERRORS.has(r.code)) {
      // Zalo would not take the reference (an old message, a field this API version refuses): send without it.
      this.log.info({ conv: job.conv, code: r.code, mode }, "zalo: reply reference refused, sent without it");
      r = await this.deliver(job, bodyOf());
    }
    if (r.outcome.ok && job.message.ask && this.options.userInfoImageUrl) {
      const card = userInfoCard(
        job.userId,
        {
          title: this.options.brand?.() ?? "Official Account",
          subtitle: job.message.ask.label ?? "📱",
          imageUrl: this.options.userInfoImageUrl,
        },
        ref && mode === "recipient" ? ref : undefined,
      );
      const c = await this.deliver(job, card);
      if (!c.outcome.ok)
        this.log.info(
          { conv: job.conv, code: c.code },
          "zalo: request_user_info card not sent; the user types the answer",
        );
    }
    return r.outcome;
  }

  /** One send call with the token dance; the Zalo error code comes back for the caller's fallbacks. */
  private async deliver(job: SendJob, body: ZaloSendBody): Promise<{ outcome: SendOutcome; code?: number }> {
    let token: string;
    try {
      token = await this.tokens.accessToken();
    } catch (err) {
      return { outcome: this.tokenFailure(err) };
    }
    let result = await this.post(token, body);
    if (result === "auth") {
      try {
        token = await this.tokens.accessToken(token);
      } catch (err) {
        return { outcome: this.tokenFailure(err) };
      }
      result = await this.post(token, body);
      if (result === "auth") {
        const error = "Zalo rejected the access token even after a refresh (error -216): check the OA's authorisation";
        this.log.error({ conv: job.conv }, `zalo: ${error}`);
        return { outcome: { ok: false, permanent: true, error, reason: "auth" } };
      }
    }
    if (!result.outcome.ok) {
      this.log.warn(
        { conv: job.conv, permanent: result.outcome.permanent, error: result.outcome.error },
        "zalo: message not delivered",
      );
    }
    return result;
  }

  private async post(token: string, body: ZaloSendBody): Promise<{ outcome: SendOutcome; code?: number } | "auth"> {
    let res: Awaited<ReturnType<ZaloClient["sendCs"]>>;
    try {
      res = await this.client.sendCs(token, body);
    } catch (err) {
      if (err instanceof ZaloNetworkError) return { outcome: { ok: false, permanent: false, error: err.message } };
      throw err;
    }
    if (res.status >= 500 || res.status === 429) {
      const out: SendOutcome = { ok: false, permanent: false, error: `Zalo answered HTTP ${res.status}` };
      if (res.retryAfterMs) out.retryAfterMs = res.retryAfterMs;
      return { outcome: out };
    }
    if (res.status === 401) return "auth";
    const j = res.json;
    if (!j) {
      return {
        outcome:
          res.status < 300
            ? { ok: false, permanent: false, error: `Zalo answered HTTP ${res.status} without JSON` }
            : { ok: false, permanent: true, error: `Zalo answered HTTP ${res.status}`, reason: "other" },
      };
    }
    const code = Number(j.error ?? 0);
    if (code === 0 && res.status < 300) {
      const mid = str(j.data?.message_id);
      if (mid) await this.kv.set(`zalo:sent:${mid}`, 1, SENT_TTL).catch(() => undefined);
      return { outcome: { ok: true } };
    }
    const c = classifyError(code || -res.status, typeof j.message === "string" ? j.message : undefined);
    if (c.kind === "auth") return "auth";
    if (c.kind === "transient") {
      const base = this.options.rateLimitRetryMs ?? 5_000;
      return {
        outcome: { ok: false, permanent: false, error: c.error, retryAfterMs: Math.round(base * (1 + Math.random())) },
        code,
      };
    }
    if (c.config) this.log.error({ code }, `zalo: ${c.error}`);
    return { outcome: { ok: false, permanent: true, error: c.error, reason: c.reason }, code };
  }

  /**
   * First contact, greeted once: a follow greets the first time only (ever, as far as the store
   * remembers: a year); "Nhắn tin" on the OA profile (`user_click_chatnow`) greets unless the user
   * was greeted or wrote in the last day.
   */
  private async firstContact(events: InboundEvent[]): Promise<InboundEvent[]> {
    const out: InboundEvent[] = [];
    for (const e of events) {
      const follow = e.kind === "start" && e.id.startsWith("zalo:follow:");
      const chatnow = e.kind === "start" && e.id.startsWith("zalo:user_click_chatnow:");
      if (follow || chatnow) {
        const hello = `zalo:hello:${e.userId}`;
        const followed = `zalo:followed:${e.userId}`;
        const greeted = await this.kv.get(hello).catch(() => undefined);
        if (follow && (await this.kv.get(followed).catch(() => undefined))) continue;
        if (chatnow) {
          const last = await this.last(e.userId);
          if (greeted || (last && this.now() - last.at < CHATNOW_QUIET_MS)) continue;
        }
        if (follow) await this.kv.set(followed, this.now(), FOLLOWED_TTL_MS).catch(() => undefined);
        await this.kv.set(hello, this.now(), CHATNOW_QUIET_MS).catch(() => undefined);
      }
      out.push(e);
    }
    return out;
  }

  /** The user's last message per user (its id and time), for replies and the window. */
  private async rememberLast(events: InboundEvent[]): Promise<void> {
    for (const e of events) {
      if (e.kind !== "message" && e.kind !== "postback") continue;
      const rec: LastMessage = { at: Math.min(e.timestamp, this.now()) };
      if (e.platformMessageId) rec.msgId = e.platformMessageId;
      // Zalo's retries can bring an older message after a newer one: keep the newest.
      const known = await this.last(e.userId);
      if (known && known.at > rec.at) continue;
      await this.kv.set(`zalo:last:${e.userId}`, rec, 30 * DAY).catch(() => undefined);
    }
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
