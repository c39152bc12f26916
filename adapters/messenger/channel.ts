import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Content } from "../../src/content/types.js";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/ports/channel.js";
import type { InboundEvent } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { dropStale } from "../../src/queue/dedupe.js";
import type { Matched } from "../module.js";
import { keepRawBodies, rawBody } from "../shared/raw-body.js";
import { MESSENGER_CAPABILITIES, METADATA_TAG } from "./capabilities.js";
import { GraphClient, type GraphResult } from "./client.js";
import { Comments } from "./comments.js";
import { PAGE_INBOX_APP_ID } from "./env.js";
import { versionWarning } from "./graph-versions.js";
import { type Handover, type PageComment, parseDelivery } from "./inbound.js";
import { uploadFor } from "./media.js";
import { type Classified, classifyError, toSendMessages } from "./outbound.js";
import { Personas } from "./personas.js";
import { Threads } from "./threads.js";
import type { SenderActionRequest, SendMessage, SendRequest } from "./types.js";
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
  /** MESSENGER_INBOX_PRIMARY: a closed request hands the conversation back to the Page Inbox (default false). */
  inboxPrimary?: boolean;
  /** MESSENGER_INBOX_APP_ID (default Meta's Page Inbox, 263902037430900). */
  inboxAppId?: string;
  /** MESSENGER_TAKE_THREAD: take the conversation back when hotro's people speak in it (default true). */
  takeThread?: boolean;
  /** MESSENGER_HUMAN_AGENT: a person may answer for 7 days with the HUMAN_AGENT tag (default true). */
  humanAgent?: boolean;
  /** MESSENGER_OPERATOR_NAME (default auto: a persona when a picture is configured, else the name above the text). */
  operatorName?: "auto" | "persona" | "prefix" | "off";
  /** MESSENGER_PERSONA_PICTURE_URL */
  personaPictureUrl?: string | undefined;
  /** MESSENGER_MARK_SEEN (default true). */
  markSeen?: boolean;
  /** MESSENGER_COMMENTS (default off). */
  comments?: "off" | "private" | "public";
  /** The current content pack (comment replies' texts); read at each use. */
  content?: () => Content;
  /** The current matcher (does a comment ask for support). */
  match?: ((text: string) => Matched) | undefined;
}

/** Operators' actions after which hotro speaks in the conversation, so it takes the thread back first. */
const HOTRO_SPEAKS = new Set<SendJob["control"]>(["operator_message", "back_to_bot", "request_closed"]);

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
  /** Who owns each user's thread (this app, the Page Inbox), in the shared store. */
  readonly threads: Threads;
  private readonly personas?: Personas;
  private readonly comments?: Comments;
  /** Background work started by a webhook (comments, hand-overs): waited for at stop. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly options: MessengerOptions) {
    this.log = options.deps.log.child({ channel: "messenger" });
    this.client = new GraphClient({
      baseUrl: options.graphUrl,
      accessToken: options.pageAccessToken,
      appSecret: options.appSecret,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    this.threads = new Threads({
      client: this.client,
      kv: options.deps.kv,
      log: this.log,
      inboxAppId: options.inboxAppId ?? PAGE_INBOX_APP_ID,
      take: options.takeThread !== false,
      now: () => this.now(),
    });
    const naming = options.operatorName ?? "auto";
    if (naming === "persona" && !options.personaPictureUrl) {
      this.log.warn(
        "MESSENGER_OPERATOR_NAME=persona needs MESSENGER_PERSONA_PICTURE_URL (Meta requires a picture): operators' names go above their text",
      );
    }
    if ((naming === "persona" || naming === "auto") && options.personaPictureUrl) {
      this.personas = new Personas({
        client: this.client,
        kv: options.deps.kv,
        log: this.log,
        pictureUrl: options.personaPictureUrl,
        withLock: options.deps.withLock,
      });
    }
    const mode = options.comments ?? "off";
    const content = options.content;
    if (mode !== "off" && content) {
      this.comments = new Comments({
        client: this.client,
        kv: options.deps.kv,
        log: this.log,
        content,
        match: options.match,
        publicReply: mode === "public",
        withLock: options.deps.withLock,
        now: () => this.now(),
      });
    }
  }

  /** Run `work` after the webhook has answered (Meta waits 5 s at most); waited for at stop. */
  private later(work: () => Promise<unknown>): void {
    const p: Promise<unknown> = work()
      .catch((err) => this.log.warn({ err: (err as Error).message }, "Messenger background work failed"))
      .finally(() => this.background.delete(p));
    this.background.add(p);
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
      for (const h of parsed.handovers) await this.handover(h);
      await this.owners(events);
      await this.cachedNames(events);
      await intake.accept(events);
      for (const c of parsed.comments) this.comment(c);
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
    await Promise.allSettled([...this.background]);
    // The connection pool stays open: the runtime still drains sends in progress after
    // channels stop, and undici's idle sockets do not keep the process alive.
  }

  health(): ChannelHealth {
    return this.tokenInvalid ? { ok: false, reason: TOKEN_REASON } : { ok: true };
  }

  /**
   * Decide how a message may go out under Meta's window rules, or why it may not. The
   * HUMAN_AGENT tag goes only on a message a person wrote (`byPerson`), never on the bot's:
   * Meta rejects apps for tagging automated replies.
   */
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
    if (this.options.humanAgent === false) {
      return {
        error:
          "not sent: more than 24 hours since the user wrote, and this app does not use Meta's Human Agent feature (MESSENGER_HUMAN_AGENT=off): the user has to write again",
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
      return { ok: false, permanent: true, error: window.error, reason: "window_closed" };
    }
    // hotro's people decided hotro speaks here (a reply, a close, back to the bot): the thread must be ours.
    const hotroSpeaks = !!job.byPerson || HOTRO_SPEAKS.has(job.control);
    if (hotroSpeaks) {
      const claimed = await this.threads.claim(
        job.userId,
        job.byPerson ? "an operator answers" : "the bot answers again",
      );
      if (!claimed.ok) return claimed;
    }
    const persona = await this.personaFor(job);
    let messages: SendMessage[];
    if (job.message.attachment) {
      const up = await uploadFor(job.message.attachment, {
        client: this.client,
        kv: this.options.deps.kv,
        media: this.options.deps.media,
        classify: (r) => this.classified(r, job.conv).outcome,
      });
      if ("outcome" in up) return up.outcome;
      messages = [{ attachment: up.attachment, metadata: METADATA_TAG }];
    } else messages = toSendMessages(job.message, { nameAbove: persona === undefined && this.namesAbove() });
    if (messages.length === 0) return { ok: true };
    const tagged = "tag" in window;
    const key = messages.length > 1 ? progressKey(job) : undefined;
    let took = false;
    for (let i = key ? (this.progress.get(key) ?? 0) : 0; i < messages.length; i++) {
      const message = messages[i];
      if (!message) continue;
      const body: SendRequest = { recipient: { id: job.userId }, ...window, message };
      if (persona) body.persona_id = persona;
      let r = await this.client.post("/me/messages", body);
      let c = this.classified(r, job.conv, "warn", tagged);
      if (c.threadControlled) {
        if (hotroSpeaks && !took) {
          // Our record was stale: Meta says another app has it. Take it, then try once more.
          took = true;
          const claimed = await this.threads.take(job.userId, "an operator answers");
          if (!claimed.ok) return claimed;
          r = await this.client.post("/me/messages", body);
          c = this.classified(r, job.conv, "warn", tagged);
        } else if (!hotroSpeaks) {
          await this.threads.set(job.userId, "other");
        }
      }
      if (!c.outcome.ok) {
        if (key) {
          if (c.outcome.permanent) this.progress.delete(key);
          else this.remember(key, i);
        }
        return c.outcome;
      }
    }
    if (key) this.progress.delete(key);
    if (job.control === "request_closed" && this.options.inboxPrimary) {
      // The Page Inbox is where the team answers: the closed conversation goes back to it.
      await this.threads.passToInbox(job.userId, "request closed");
    }
    return { ok: true };
  }

  /** Operators' names above their text: when the deployment wants names and no persona shows them. */
  private namesAbove(): boolean {
    return (this.options.operatorName ?? "auto") !== "off";
  }

  /** The persona of the operator who wrote the message, when personas are on and Meta made one. */
  private async personaFor(job: SendJob): Promise<string | undefined> {
    const from = job.message.from;
    if (!this.personas || from?.kind !== "operator") return undefined;
    return this.personas.id(from.name).catch(() => undefined);
  }

  async typing(userId: string): Promise<void> {
    const body: SenderActionRequest = { recipient: { id: userId }, sender_action: "typing_on" };
    const r = await this.client.post("/me/messages", body, { timeoutMs: 5_000 });
    this.classified(r, `messenger:${userId}`, "debug");
  }

  /** The engine read the user's message: `mark_seen`, in the background (MESSENGER_MARK_SEEN). */
  seen(event: InboundEvent): void {
    if (this.options.markSeen === false || event.channel !== "messenger") return;
    const body: SenderActionRequest = { recipient: { id: event.userId }, sender_action: "mark_seen" };
    void this.client
      .post("/me/messages", body, { timeoutMs: 5_000 })
      .then((r) => this.classified(r, `messenger:${event.userId}`, "debug"))
      .catch(() => undefined);
  }

  /**
   * Who owns the users' threads, from this delivery: a user's message in `messaging` means this
   * app has the thread; one in `standby` that another app has it (its event says which, and
   * whether operators were told yet).
   */
  private async owners(events: InboundEvent[]): Promise<void> {
    for (const e of events) {
      if (e.kind === "human_reply") continue;
      if (e.kind === "standby") {
        const { name, first } = await this.threads.standby(e.userId);
        e.meta = { ...e.meta, inbox: name, ...(first ? { inbox_new: "1" } : {}) };
      } else {
        await this.threads.ours(e.userId);
      }
    }
  }

  /** A `messaging_handovers` item: who owns the thread now; a request for it from the Page Inbox when it is primary. */
  private async handover(h: Handover): Promise<void> {
    if (h.kind === "pass") {
      // Passed to this app (the Page Inbox's "done", or a pass from another app).
      await this.threads.set(h.psid, "self");
      this.log.info({ conv: `messenger:${h.psid}`, from: h.previousOwner }, "the conversation was passed to hotro");
    } else if (h.kind === "take") {
      await this.threads.set(h.psid, h.newOwner ?? "other", false);
      this.log.info({ conv: `messenger:${h.psid}`, by: h.newOwner }, "another app took the conversation");
    } else {
      const inbox = this.options.inboxAppId ?? PAGE_INBOX_APP_ID;
      const fromInbox = !h.requestedOwner || h.requestedOwner === inbox;
      if (this.options.inboxPrimary && fromInbox) this.later(() => this.threads.passToInbox(h.psid, "asked for it"));
      else
        this.log.info({ conv: `messenger:${h.psid}`, by: h.requestedOwner }, "another app asks for the conversation");
    }
  }

  /** A Page comment: answered in the background (MESSENGER_COMMENTS), never on the webhook's time. */
  private comment(c: PageComment): void {
    const comments = this.comments;
    if (!comments) return;
    this.later(() => comments.handle(c));
  }

  /** Classify a Graph result, keep the token's health, and log what failed (never the token). */
  private classified(r: GraphResult, conv: string, level: "warn" | "debug" = "warn", tagged = false): Classified {
    const c = classifyError(r, { tagged });
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
    const wanted = [
      "messages",
      "messaging_postbacks",
      "message_echoes",
      "messaging_referrals",
      "messaging_handovers",
      "standby",
    ];
    if ((this.options.comments ?? "off") !== "off") wanted.push("feed");
    const missing = wanted.filter((f) => !fields.includes(f));
    if (!mine) this.log.warn("this app is not subscribed to the Page's webhooks: no Messenger message will arrive");
    else if (missing.length > 0) this.log.warn({ missing }, "the Page's webhook subscription lacks fields");
  }
}

function progressKey(job: SendJob): string {
  return createHash("sha256")
    .update(JSON.stringify([job.conv, job.requestId ?? "", job.userLastAt ?? 0, job.message]))
    .digest("hex");
}
