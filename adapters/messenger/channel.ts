import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/ports/channel.js";
import type { InboundEvent } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { dropStale } from "../../src/queue/dedupe.js";
import { keepRawBodies, rawBody } from "../shared/raw-body.js";
import { MESSENGER_CAPABILITIES } from "./capabilities.js";
import { GraphClient, type GraphResult } from "./client.js";
import { versionWarning } from "./graph-versions.js";
import { parseDelivery } from "./inbound.js";
import { type Classified, classifyError, toSendMessages } from "./outbound.js";
import type { SenderActionRequest, SendRequest } from "./types.js";
import { verifySignature, verifySubscription } from "./verify.js";

export { MESSENGER_CAPABILITIES } from "./capabilities.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Our clock reads the user's last message a little after Meta's: stay clear of the edge. */
const WINDOW_MARGIN_MS = 60_000;
const TOKEN_REASON = "the Page access token is invalid or expired: renew MESSENGER_PAGE_ACCESS_TOKEN";
/** Webhook answers must come within 5 s: a name lookup gets a small share of that. */
const PROFILE_TIMEOUT_MS = 1_500;
const PROFILE_TTL_MS = DAY;
const PROFILE_MISS_TTL_MS = HOUR;

export interface MessengerOptions {
  pageAccessToken: string;
  appSecret: string;
  verifyToken: string;
  /** MESSENGER_APP_ID: echoes from any other app (the Page Inbox) are a person answering. */
  appId?: string | undefined;
  /** MESSENGER_GRAPH_URL */
  graphUrl: string;
  deps: ChannelDeps;
  now?: () => number;
  /** At start, check the token and the webhook subscription in the background (default true). */
  probe?: boolean;
  /** Look up users' names (User Profile API) for operators (default true). */
  profiles?: boolean;
  timeoutMs?: number;
}

type WindowDecision = { messaging_type: "RESPONSE" } | { messaging_type: "MESSAGE_TAG"; tag: "HUMAN_AGENT" };

/**
 * Facebook Messenger: verified webhooks in (`/webhooks/messenger`), the Send API out, within
 * Meta's messaging window (notes/messenger.md).
 */
export class MessengerChannel implements ChannelAdapter {
  readonly id = "messenger" as const;
  readonly name = "Messenger";
  readonly capabilities = MESSENGER_CAPABILITIES;
  private readonly client: GraphClient;
  private readonly log: Logger;
  private tokenInvalid = false;
  /** Multi-part messages: how many parts went out, so a retry resumes after them. */
  private readonly progress = new Map<string, number>();
  private probing?: Promise<void>;

  constructor(private readonly options: MessengerOptions) {
    this.log = options.deps.log.child({ channel: "messenger" });
    this.client = new GraphClient({
      baseUrl: options.graphUrl,
      accessToken: options.pageAccessToken,
      appSecret: options.appSecret,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  routes(app: FastifyInstance, intake: Intake): void {
    // The signature covers the bytes Meta sent: keep them, whatever the content type says.
    keepRawBodies(app);

    app.get("/webhooks/messenger", async (req, reply) => {
      const v = verifySubscription(req.query, this.options.verifyToken);
      if (!v.ok) {
        this.log.warn("webhook verification refused (hub.mode or hub.verify_token wrong)");
        return reply.code(403).type("text/plain; charset=utf-8").send("Forbidden");
      }
      this.log.info("webhook verified by Meta");
      // The challenge is echoed as given: nosniff keeps a browser from reading it as HTML.
      return reply
        .code(200)
        .type("text/plain; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .send(v.challenge);
    });

    app.post("/webhooks/messenger", async (req, reply) => {
      const raw = rawBody(req);
      if (!verifySignature(raw, req.headers["x-hub-signature-256"], this.options.appSecret)) {
        this.log.warn({ hasHeader: req.headers["x-hub-signature-256"] !== undefined }, "webhook signature refused");
        return reply.code(401).send({ error: "invalid or missing X-Hub-Signature-256" });
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return reply.code(400).send({ error: "body is not JSON" });
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return reply.code(400).send({ error: "body is not a JSON object" });
      }
      const now = this.now();
      const parsed = parseDelivery(body, { appId: this.options.appId }, now);
      if (parsed.standby > 0 || parsed.ignored > 0) {
        this.log.debug(
          { events: parsed.events.length, standby: parsed.standby, ignored: parsed.ignored },
          "webhook items acknowledged without action",
        );
      }
      // Older than the dedupe window: its mid may be forgotten, so a redelivery would look new.
      const events = dropStale(parsed.events, now, this.log);
      await this.cachedNames(events);
      await intake.accept(events);
      return reply.code(200).type("text/plain; charset=utf-8").send("EVENT_RECEIVED");
    });
  }

  async start(): Promise<void> {
    const warning = versionWarning(this.options.graphUrl, new Date(this.now()));
    if (warning) this.log.warn({ graphUrl: this.options.graphUrl }, warning);
    if (this.options.probe === false) return;
    // In the background: start-up does not wait on Meta, and a failure only marks health.
    this.probing = this.probe().catch((err) => this.log.warn({ err }, "Messenger start-up check failed"));
  }

  async stop(): Promise<void> {
    await this.probing;
    // The connection pool stays open: the runtime still drains sends in progress after
    // channels stop, and undici's idle sockets do not keep the process alive.
  }

  health(): ChannelHealth {
    return this.tokenInvalid ? { ok: false, reason: TOKEN_REASON } : { ok: true };
  }

  /** Decide how a message may go out under Meta's window rules, or why it may not. */
  windowFor(job: SendJob): WindowDecision | { error: string } {
    if (job.userLastAt === undefined) return { messaging_type: "RESPONSE" };
    const age = this.now() - job.userLastAt;
    if (age <= DAY - WINDOW_MARGIN_MS) return { messaging_type: "RESPONSE" };
    if (!job.byPerson) {
      return {
        error:
          "not sent: outside the 24-hour window (Messenger lets the bot answer only within 24 hours of the user's last message)",
      };
    }
    if (age <= 7 * DAY - WINDOW_MARGIN_MS) return { messaging_type: "MESSAGE_TAG", tag: "HUMAN_AGENT" };
    return {
      error:
        "not sent: more than 7 days since the user wrote (Messenger accepts a person's reply with the HUMAN_AGENT tag for 7 days only; the user has to write again)",
    };
  }

  async send(job: SendJob): Promise<SendOutcome> {
    const window = this.windowFor(job);
    if ("error" in window) {
      this.log.info({ conv: job.conv, byPerson: !!job.byPerson }, window.error);
      return { ok: false, permanent: true, error: window.error };
    }
    const messages = toSendMessages(job.message);
    if (messages.length === 0) return { ok: true };
    const key = messages.length > 1 ? progressKey(job) : undefined;
    for (let i = key ? (this.progress.get(key) ?? 0) : 0; i < messages.length; i++) {
      const message = messages[i];
      if (!message) continue;
      const body: SendRequest = { recipient: { id: job.userId }, ...window, message };
      const r = await this.client.post("/me/messages", body);
      const c = this.classified(r, job.conv);
      if (!c.outcome.ok) {
        if (key) {
          if (c.outcome.permanent) this.progress.delete(key);
          else this.remember(key, i);
        }
        return c.outcome;
      }
    }
    if (key) this.progress.delete(key);
    return { ok: true };
  }

  async typing(userId: string): Promise<void> {
    const body: SenderActionRequest = { recipient: { id: userId }, sender_action: "typing_on" };
    const r = await this.client.post("/me/messages", body, { timeoutMs: 5_000 });
    this.classified(r, `messenger:${userId}`, "debug");
  }

  /** Classify a Graph result, keep the token's health, and log what failed (never the token). */
  private classified(r: GraphResult, conv: string, level: "warn" | "debug" = "warn"): Classified {
    const c = classifyError(r);
    if (c.tokenInvalid) {
      if (!this.tokenInvalid) {
        this.log.error(
          { code: 190, subcode: r.ok ? undefined : r.error?.error_subcode },
          "Messenger refused the Page access token (error 190): the Page token must be renewed: set a new MESSENGER_PAGE_ACCESS_TOKEN and restart",
        );
      }
      this.tokenInvalid = true;
    } else if (r.ok && this.tokenInvalid) {
      this.tokenInvalid = false;
      this.log.info("Messenger accepts the Page access token again");
    }
    if (!r.ok) {
      this.log[level](
        {
          conv,
          status: r.status,
          code: r.error?.code,
          subcode: r.error?.error_subcode,
          fbtrace_id: r.error?.fbtrace_id,
          permanent: !c.outcome.ok && c.outcome.permanent,
        },
        c.outcome.ok ? "Messenger call failed" : c.outcome.error,
      );
    }
    return c;
  }

  private remember(key: string, next: number): void {
    this.progress.delete(key);
    this.progress.set(key, next);
    while (this.progress.size > 1000) {
      const oldest = this.progress.keys().next().value;
      if (oldest === undefined) break;
      this.progress.delete(oldest);
    }
  }

  /**
   * Names already known (looked up for operators earlier) ride on the events; nothing is
   * looked up here: a Graph call per new user would double the cost of a message.
   */
  private async cachedNames(events: InboundEvent[]): Promise<void> {
    if (this.options.profiles === false) return;
    for (const e of events) {
      if (e.kind === "human_reply") continue;
      const cached = (await this.options.deps.kv.get(`messenger:profile:${e.userId}`)) as string | undefined;
      if (cached) e.displayName = cached;
    }
  }

  /** The user's name for operators (User Profile API), cached. */
  async displayName(psid: string): Promise<string | undefined> {
    if (this.options.profiles === false) return undefined;
    return this.profileName(psid).catch(() => undefined);
  }

  private async profileName(psid: string): Promise<string | undefined> {
    const key = `messenger:profile:${psid}`;
    const cached = (await this.options.deps.kv.get(key)) as string | undefined;
    if (cached !== undefined) return cached || undefined;
    const r = await this.client.get(`/${encodeURIComponent(psid)}`, {
      query: { fields: "name,first_name,last_name" },
      timeoutMs: PROFILE_TIMEOUT_MS,
    });
    let name = "";
    if (r.ok && typeof r.body === "object" && r.body !== null) {
      const p = r.body as { name?: unknown; first_name?: unknown; last_name?: unknown };
      const full =
        typeof p.name === "string"
          ? p.name
          : [p.first_name, p.last_name].filter((x): x is string => typeof x === "string").join(" ");
      name = full.trim().slice(0, 100);
    } else if (!r.ok) {
      const c = this.classified(r, `messenger:${psid}`, "debug");
      if (!c.outcome.ok && !c.outcome.permanent) return undefined; // try again next time
    }
    await this.options.deps.kv.set(key, name, name ? PROFILE_TTL_MS : PROFILE_MISS_TTL_MS);
    return name || undefined;
  }

  /** Which Page the token opens, and whether this app is subscribed to its messaging fields. */
  private async probe(): Promise<void> {
    const me = await this.client.get("/me", { query: { fields: "id,name" }, timeoutMs: 5_000 });
    const c = this.classified(me, "messenger:probe");
    if (!me.ok) return;
    const page = me.body as { id?: string; name?: string };
    this.log.info({ pageId: page.id, page: page.name }, "Messenger connected to the Page");
    const subs = await this.client.get("/me/subscribed_apps", { timeoutMs: 5_000 });
    // Which entry is ours needs MESSENGER_APP_ID.
    if (!subs.ok || c.tokenInvalid || this.options.appId === undefined) return;
    const data = (subs.body as { data?: unknown }).data;
    if (!Array.isArray(data)) return;
    const mine = data.find((a: { id?: unknown }) => String(a?.id) === this.options.appId) as
      | { subscribed_fields?: unknown }
      | undefined;
    const fields = Array.isArray(mine?.subscribed_fields) ? (mine.subscribed_fields as string[]) : [];
    const missing = ["messages", "messaging_postbacks", "message_echoes", "messaging_referrals", "standby"].filter(
      (f) => !fields.includes(f),
    );
    if (!mine) this.log.warn("this app is not subscribed to the Page's webhooks: no Messenger message will arrive");
    else if (missing.length > 0) this.log.warn({ missing }, "the Page's webhook subscription lacks fields");
  }
}

function progressKey(job: SendJob): string {
  return createHash("sha256")
    .update(JSON.stringify([job.conv, job.requestId ?? "", job.userLastAt ?? 0, job.message]))
    .digest("hex");
}
