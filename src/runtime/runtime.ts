import { randomUUID } from "node:crypto";
import type { Keyv } from "keyv";
import type { Logger } from "pino";
import { durationMs } from "../content/privacy.js";
import {
  type Action,
  NEW_REQUEST,
  REQUEST_ID_PLACEHOLDER,
  resolveRequestId,
  withRequestId,
} from "../engine/actions.js";
import { type EngineResult, handle, handleControl } from "../engine/engine.js";
import { businessMinutes, localTime, scheduleOf } from "../engine/hours.js";
import { sessionMayKeep } from "../engine/privacy.js";
import { Texts } from "../engine/template.js";
import type { EngineContext, EngineDeps } from "../engine/turn.js";
import type { ChannelAdapter, EscalationAdmission, Intake } from "../ports/channel.js";
import type { ControlEvent } from "../ports/control.js";
import type { DeskAvailability } from "../ports/desk.js";
import type { MediaPort } from "../ports/media.js";
import {
  type ChannelId,
  conversationKey,
  type InboundEvent,
  parseConversationKey,
  type SecretKind,
} from "../ports/message.js";
import type { OperatorsPort } from "../ports/operators.js";
import type { PeopleStore } from "../ports/people.js";
import type { QualityStore } from "../ports/quality.js";
import type { Inbox, InboxItem, OpsJob, Outbox, OutboxJob, SendJob, SendOutcome } from "../ports/queue.js";
import type { RequestPatch, RequestStore, TranscriptEntry } from "../ports/requests.js";
import type { Session, StoredSession } from "../ports/session.js";
import { gapOf } from "../quality/gaps.js";
import type { LeadNotices } from "../quality/notices.js";
import { render } from "../render/render.js";
import { isBlank } from "../text/blank.js";
import { maskSecrets } from "../text/secrets.js";
import { ChannelStates } from "./channel-states.js";
import { withStoredMedia } from "./media-intake.js";
import { fitForChannel } from "./media-out.js";
import type { Metrics } from "./metrics.js";

export interface RuntimeDeps extends EngineDeps {
  sessions: Keyv<StoredSession>;
  requests: RequestStore;
  inbox: Inbox;
  outbox: Outbox;
  channels: Map<ChannelId, ChannelAdapter>;
  operators?: OperatorsPort;
  /** The quality loop's log (conversations, ratings, content gaps); absent: nothing recorded. */
  quality?: QualityStore;
  /** Where low ratings go to the leads. */
  notices?: LeadNotices;
  /** The web console: whether a person can answer there, and who is online (absent: nobody). */
  desk?: DeskAvailability;
  log: Logger;
  metrics: Metrics;
  /** Where users' files are kept once fetched (absent: attachments pass as the platform gave them). */
  media?: MediaPort;
  now?: () => Date;
  /** On stop, how long to keep working through what is already recorded (default 7 s). */
  drainMs?: number;
  /** Erases a person's data at their conversation's turn (a `forget` control event). */
  people?: Pick<PeopleStore, "erase">;
  /** Called after each item is processed, with the jobs it queued (the terminal chat waits on it). */
  onTurn?: (item: InboxItem, jobs: OutboxJob[], result?: { intent?: string; zone?: string }) => void;
}

/**
 * One path for every message (DESIGN.md): adapters → `accept` (mask, dedupe, record) →
 * one worker per conversation → engine → actions → outbox → adapters. The runtime holds no
 * state of its own beyond what the store keeps, so a restarted process resumes where the
 * last one stopped.
 */
export class Runtime implements Intake {
  /** What each channel can do now, from its health and its sends (`/readyz`, metrics, logs). */
  readonly channelStates: ChannelStates;

  constructor(private readonly deps: RuntimeDeps) {
    this.channelStates = new ChannelStates(deps.channels, deps.log, deps.metrics.registry);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The operators' side and the console, known once the app is built around the runtime. */
  useOperators(operators: OperatorsPort | undefined, desk: DeskAvailability): void {
    if (operators) this.deps.operators = operators;
    this.deps.desk = desk;
  }

  /** Mask secrets, then record durably; a redelivered event is acknowledged and dropped. */
  async accept(events: InboundEvent[]): Promise<void> {
    const kept = events.map(sanitize).filter((event) => !isEmptyMessage(event));
    if (kept.length === 0) return;
    const items: InboxItem[] = kept.map((event) => ({
      key: event.id,
      conv: conversationKey(event.channel, event.userId),
      body: { type: "event", event },
    }));
    const fresh = await this.deps.inbox.record(items);
    kept.forEach(({ channel, userId, id }, i) => {
      if (fresh[i]) this.deps.metrics.messagesIn.inc({ channel });
      else {
        this.deps.metrics.duplicates.inc({ channel });
        this.deps.log.info({ conv: conversationKey(channel, userId), key: id }, "duplicate delivery dropped");
      }
    });
  }

  /** Operator actions go through the user's conversation lane, so they stay in order with it. */
  async control(conv: string, event: ControlEvent, key: string): Promise<boolean> {
    const [fresh] = await this.deps.inbox.record([{ key, conv, body: { type: "control", event, at: Date.now() } }]);
    return fresh ?? false;
  }

  /** An update from the operators' group: recorded like any event, processed in one lane, in order. */
  async acceptOps(update: unknown, key: string): Promise<void> {
    await this.deps.inbox.record([{ key, conv: "ops", body: { type: "ops", update } }]);
  }

  start(opts: { recover?: boolean } = {}): void {
    this.deps.inbox.start((item) => this.process(item), opts);
    this.deps.outbox.start((job) => this.dispatch(job), {
      ...opts,
      onFailure: (job, last) => void this.reportFailure(job, last),
    });
  }

  /**
   * Finish what was acknowledged (events, then their replies) within `drainMs`, well inside
   * the 10 s a SIGTERM allows; what is left then stays in the store for the next start or
   * another process.
   */
  async stop(): Promise<void> {
    const drainUntil = Date.now() + (this.deps.drainMs ?? 7_000);
    await this.deps.inbox.stop({ drainUntil });
    await this.deps.outbox.stop({ drainUntil });
  }

  private typingBudget = { tokens: 20, at: Date.now() };

  /**
   * The user has waited (a backlog, a slow start): show "typing…" while the reply is prepared.
   * At most ~20 a second per process, so a server that is already behind does not add
   * much more work for itself.
   */
  private typingIfLate(event: InboundEvent): void {
    if (event.kind !== "message" || Date.now() - event.timestamp < 2000) return;
    const adapter = this.deps.channels.get(event.channel);
    if (!adapter?.typing || !adapter.capabilities.typing) return;
    const b = this.typingBudget;
    const now = Date.now();
    b.tokens = Math.min(20, b.tokens + ((now - b.at) / 1000) * 20);
    b.at = now;
    if (b.tokens < 1) return;
    b.tokens -= 1;
    void adapter.typing(event.userId, event.meta).catch(() => undefined);
  }

  /** Tell the platform the message was read (Messenger's mark_seen): never waited for. */
  private seen(event: InboundEvent): void {
    if (event.kind === "human_reply" || event.kind === "standby" || event.kind === "unfollow") return;
    const adapter = this.deps.channels.get(event.channel);
    if (!adapter?.seen) return;
    try {
      adapter.seen(event);
    } catch {
      // the adapter's own business: a read receipt never stops a turn
    }
  }

  /**
   * Use a new content pack (a reload) from the next event on; an event in progress finishes
   * with the pack it started with.
   */
  usePack(pack: Pick<RuntimeDeps, "content" | "matcher" | "rules">): void {
    this.deps.content = pack.content;
    this.deps.matcher = pack.matcher;
    this.deps.rules = pack.rules;
  }

  /**
   * A person can answer when the console has an account or a Telegram group is configured;
   * how many are online is known for the console alone (people in a group may read it any time).
   */
  private async engineContext(conv: string): Promise<EngineContext> {
    const desk = await this.deps.desk?.status().catch((err) => {
      this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, "desk status unavailable");
      return undefined;
    });
    const ctx: EngineContext = {
      content: this.deps.content,
      matcher: this.deps.matcher,
      rules: this.deps.rules,
      now: this.now(),
      operators: !!this.deps.operators || !!desk?.staffed,
      privacy: true,
    };
    if (!this.deps.operators && desk?.staffed && desk.online !== undefined) ctx.online = desk.online;
    const caps = this.deps.channels.get(parseConversationKey(conv).channel)?.capabilities;
    if (caps?.replyWindow) ctx.replyWindowHours = caps.replyWindow.botHours;
    if (caps?.ratingStars) ctx.ratingStars = true;
    return ctx;
  }

  /** Handle one recorded item. Safe to call again for the same item after a crash. */
  async process(item: InboxItem): Promise<void> {
    const started = performance.now();
    if (item.body.type === "ops") {
      // Which request an operator's message belongs to, turned into control events recorded in
      // the users' own lanes (their keys make a replay after a crash record nothing twice).
      const routed = (await this.deps.operators?.handleUpdate(item.body.update, item.key)) ?? [];
      if (routed.length) {
        await this.deps.inbox.record(
          routed.map((r) => ({ key: r.key, conv: r.conv, body: { type: "control", event: r.event, at: Date.now() } })),
        );
      }
      this.deps.onTurn?.(item, []);
      return;
    }
    if (item.body.type === "control" && item.body.event.kind === "forget") {
      const { channel, userId } = parseConversationKey(item.conv);
      await this.deps.people?.erase({ channel, userId });
      this.deps.onTurn?.(item, []);
      return;
    }
    const stored = await this.deps.sessions.get(item.conv);
    if (stored?.processed?.key === item.key) {
      await this.deps.outbox.enqueue(stored.processed.jobs);
      this.deps.onTurn?.(item, stored.processed.jobs);
      return;
    }
    if (item.body.type === "event") {
      this.seen(item.body.event);
      this.typingIfLate(item.body.event);
    }
    const ctx = await this.engineContext(item.conv);
    const event =
      item.body.type === "event" && this.deps.media
        ? await withStoredMedia(
            item.body.event,
            this.deps.channels.get(item.body.event.channel),
            this.deps.media,
            this.deps.log,
          )
        : undefined;
    const result =
      item.body.type === "event"
        ? handle(event ?? item.body.event, stored, ctx)
        : handleControl(item.body.event, stored, ctx);
    const jobs = await this.execute(item, result);
    // Without the user's consent (config/privacy.yaml), nothing beyond this message is kept:
    // the files it brought go once answered, unless a message still to be sent carries them.
    const keep = sessionMayKeep(result.session, this.deps.content.config.privacy);
    if (!keep && event && this.deps.media) {
      const pending = JSON.stringify(jobs);
      for (const a of event.attachments ?? [])
        if (a.mediaId && !pending.includes(a.mediaId)) await this.deps.media.remove(a.mediaId);
    }
    const session: StoredSession = { ...result.session, processed: { key: item.key, jobs } };
    // A conversation's state lives its retention period after its last turn (config/privacy.yaml).
    await this.deps.sessions.set(item.conv, session, durationMs(this.deps.content.config.privacy.retention.sessions));
    await this.deps.outbox.enqueue(jobs);
    if (result.intent) this.deps.metrics.intents.inc({ intent: result.intent });
    if (result.intent === "none" && item.body.type === "event")
      this.deps.metrics.fallbacks.inc({ channel: item.body.event.channel });
    if (item.body.type === "event") {
      // Facts for the figures are not worth a failed turn: a store hiccup here is logged, not retried.
      await this.observe(item, item.body.event, result, ctx.now.getTime(), keep).catch((err) =>
        this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, "quality: fact not recorded"),
      );
    }
    this.deps.metrics.turnSeconds.observe((performance.now() - started) / 1000);
    this.deps.onTurn?.(item, jobs, {
      ...(result.intent ? { intent: result.intent } : {}),
      ...(result.zone ? { zone: result.zone } : {}),
    });
  }

  private seenToday = new Set<string>();

  /**
   * What the quality loop learns from a user's turn: the conversation was active that day
   * (once per conversation and local day; this process remembers which it already wrote,
   * so the hot path pays one write per conversation a day), and a message the bot could not
   * answer (fallback, "did you mean", out of scope) as a content gap, masked as recorded.
   */
  private async observe(
    item: InboxItem,
    event: InboundEvent,
    result: EngineResult,
    now: number,
    /** The user agreed to their data being kept (or it needs no agreement). */
    keep: boolean,
  ): Promise<void> {
    const q = this.deps.quality;
    if (!q || event.kind === "human_reply" || event.kind === "unfollow") return;
    const day = dayOf(now, this.deps.content.config.timezone);
    const seen = `${item.conv}|${day}`;
    if (!keep) {
      // Counted, tied to nobody, and their words not kept.
      await q.record({
        key: `conv:~${randomUUID()}`,
        kind: "conversation",
        at: now,
        channel: event.channel,
        data: { day, ...(result.intent ? { intent: result.intent } : {}) },
      });
      return;
    }
    if (!this.seenToday.has(seen)) {
      if (this.seenToday.size > 50_000) this.seenToday.clear();
      this.seenToday.add(seen);
      await q.record({
        key: `conv:${seen}`,
        kind: "conversation",
        at: now,
        channel: event.channel,
        conv: item.conv,
        data: { day, ...(result.intent ? { intent: result.intent } : {}) },
      });
    }
    const text = event.text?.trim();
    if (text && (result.intent === "none" || result.intent === "clarify")) {
      const gap = gapOf(text, this.deps.matcher);
      await q.record({
        key: `gap:${item.key}`,
        kind: "gap",
        at: now,
        channel: event.channel,
        conv: item.conv,
        data: {
          text: text.slice(0, 500),
          tokens: gap.tokens,
          zone: result.intent === "clarify" ? "clarify" : "fallback",
        },
      });
    }
  }

  /** The request clocks' bookkeeping (src/quality/sla.ts) for a line added to a request. */
  private async clockOnLine(id: string, from: "user" | "person", now: number): Promise<void> {
    const r = await this.deps.requests.get(id);
    if (!r) return;
    const patch: RequestPatch = {};
    if (from === "person") {
      if (!r.firstResponseAt) patch.firstResponseAt = now;
      if (r.awaitingSince) patch.awaitingSince = 0;
      if (!r.onUserSince) patch.onUserSince = now;
    } else {
      if (r.onUserSince) {
        patch.pausedMinutes =
          (r.pausedMinutes ?? 0) + businessMinutes(r.onUserSince, now, scheduleOf(this.deps.content.config));
        patch.onUserSince = 0;
      }
      if (!r.awaitingSince && r.firstResponseAt) patch.awaitingSince = now;
    }
    if (Object.keys(patch).length > 0) await this.deps.requests.update(id, patch, now);
  }

  /** Carry out request actions (I/O the engine does not do) and turn messages into outbox jobs. */
  private async execute(item: InboxItem, result: EngineResult): Promise<OutboxJob[]> {
    const { channel, userId } = parseConversationKey(item.conv);
    const s = result.session;
    const jobs: OutboxJob[] = [];
    /** The id the store gave the request this turn created (`NEW_REQUEST` in the actions). */
    let created: string | undefined;
    const now = this.now().getTime();
    const resolve = (id: string) => resolveRequestId(id, created);
    const event = item.body.type === "event" ? item.body.event : undefined;
    const adapter = this.deps.channels.get(channel);
    const ops = (requestId: string, op: OpsJob["op"], extra: Partial<OpsJob> = {}, lane = `ops:${requestId}`) => {
      if (!this.deps.operators) return;
      const body: OpsJob = { kind: "ops", requestId, op, ...extra };
      if (adapter?.anonymous) body.yields = true;
      jobs.push({ key: `${item.key}:ops:${jobs.length}`, lane, body });
    };

    for (const [i, action] of result.actions.entries()) {
      switch (action.type) {
        case "request.create": {
          const nr = {
            conv: item.conv,
            channel,
            userId,
            draft: action.draft,
            handoff: action.handoff,
            idempotencyKey: `${item.key}:${i}`,
          };
          const rec = await this.deps.requests.create(s.displayName ? { ...nr, displayName: s.displayName } : nr, now);
          created = rec.id;
          adoptRequestId(s, rec.id);
          this.deps.metrics.requestsCreated.inc({ channel, priority: rec.priority });
          if (action.handoff) this.deps.metrics.handoffs.inc({ channel });
          // One line per request a team can follow (ids and facts, never what the user wrote).
          this.deps.log.info(
            {
              request: rec.id,
              channel,
              intent: rec.intent,
              priority: rec.priority,
              rule: rec.rule,
              handoff: action.handoff,
              operators: this.deps.operators ? "reachable" : "none",
            },
            action.handoff ? "request escalated to people" : "request filed",
          );
          if (action.handoff) {
            const rule = action.draft.rule;
            await this.deps.requests.append(rec.id, `${item.key}:${i}:event`, {
              from: "bot",
              text: rule ? `escalated by rule ${rule}` : "escalated",
              at: now,
              kind: "event",
              event: "escalated",
              ...(rule ? { rule } : {}),
            });
          }
          if (!this.deps.operators) break;
          // A flood (the live chat): the request goes into one notice for the burst, not a topic of its own.
          const admission: EscalationAdmission = adapter?.admitEscalation
            ? await adapter.admitEscalation(userId, rec.id)
            : { post: true };
          if (admission.post) ops(rec.id, "post");
          else {
            if (rec.notice !== admission.notice)
              await this.deps.requests.update(rec.id, { notice: admission.notice }, now);
            ops(rec.id, "notice", { notice: admission.notice }, `ops:notice:${admission.notice}`);
          }
          break;
        }
        case "request.update": {
          const patch: Parameters<RequestStore["update"]>[1] = {};
          if (action.status) patch.status = action.status;
          if (action.priority) patch.priority = action.priority;
          if (action.handoff !== undefined) patch.handoff = action.handoff;
          if (action.assignee) patch.assignee = action.assignee;
          if (action.fields) patch.fields = action.fields;
          const id = resolve(action.requestId);
          if (action.status === "resolved") {
            patch.resolvedAt = now;
            patch.closedBy = action.closedBy ?? "person";
            const before = await this.deps.requests.get(id);
            if (before?.onUserSince) {
              patch.pausedMinutes =
                (before.pausedMinutes ?? 0) +
                businessMinutes(before.onUserSince, now, scheduleOf(this.deps.content.config));
              patch.onUserSince = 0;
            }
            patch.awaitingSince = 0;
          } else if (action.status === "open" && action.by) {
            // Reopened: the user waits on a person again.
            patch.awaitingSince = now;
            patch.onUserSince = 0;
          }
          await this.deps.requests.update(id, patch, now);
          this.deps.log.info({ request: id, ...patch, by: action.by }, "request updated");
          // What happened, in the request's transcript too (the console shows it in place).
          const happened = eventLine(action, now);
          if (happened) await this.deps.requests.append(id, `${item.key}:${i}:event`, happened);
          const by = action.by ? { operator: action.by } : {};
          if (action.status === "resolved") ops(id, "closed", by);
          else if (action.status === "open" && action.by) ops(id, "reopened", by);
          else if (action.assignee) ops(id, "taken", by);
          else if (action.handoff === false) ops(id, "back_to_bot", by);
          else if (action.priority || action.handoff) ops(id, "update");
          break;
        }
        case "request.append": {
          const id = resolve(action.requestId);
          const entry = action.attachments ? { ...action.line, attachments: action.attachments } : action.line;
          await this.deps.requests.append(id, `${item.key}:${i}`, entry);
          if (action.line.from === "user" && !action.line.kind && action.mirror)
            await this.clockOnLine(id, "user", now);
          if (action.mirror && action.line.kind === "event" && action.line.event === "inbox") {
            // Who has the conversation now (Messenger's Page Inbox), said in the group too.
            ops(id, "inbox", { text: action.line.by ?? action.line.text });
          } else if (action.mirror) {
            const extra: Partial<OpsJob> = { text: action.line.text };
            if (action.attachments) extra.attachments = action.attachments;
            ops(id, "mirror", extra);
          }
          break;
        }
        case "quality": {
          const rec = {
            key: action.key,
            kind: action.kind,
            at: now,
            channel,
            conv: item.conv,
            requestId: action.requestId,
            data: action.data,
          };
          const fresh = (await this.deps.quality?.record(rec)) ?? false;
          const score = action.data.score;
          const low = this.deps.content.config.quality.csat.low_score;
          if (fresh && action.data.outcome === "rated" && typeof score === "number" && score <= low)
            await this.deps.notices?.lowRating(action.requestId, score, channel);
          if (fresh && action.data.outcome === "comment" && typeof score === "number" && score <= low)
            await this.deps.notices?.lowRating(action.requestId, score, channel, String(action.data.comment ?? ""));
          break;
        }
        case "reply":
        case "relay": {
          if (!adapter) {
            this.deps.log.warn({ conv: item.conv }, "no adapter for this conversation's channel: reply dropped");
            break;
          }
          const message =
            action.type === "reply" && action.requestId
              ? withRequestId(action.message, resolve(action.requestId))
              : action.message;
          const texts = new Texts(this.deps.content, s.lang, this.now());
          const parts = render(message, adapter.capabilities).map((p) =>
            fitForChannel(p, adapter.capabilities, this.deps.media, texts),
          );
          const line = `${item.key}:${i}`;
          for (const part of parts) {
            const body: SendJob = { kind: "send", channel, userId, conv: item.conv, message: part };
            if (action.type === "relay") {
              body.requestId = resolve(action.requestId);
              body.byPerson = true;
              body.line = line;
            }
            if (s.lastUserAt) body.userLastAt = s.lastUserAt;
            if (event?.meta) body.meta = event.meta;
            if (item.body.type === "control") body.control = item.body.event.kind;
            jobs.push({ key: `${item.key}:send:${jobs.length}`, lane: item.conv, body });
          }
          if (action.type === "relay") {
            // Keep the person's words in the request's record too (the console shows them,
            // and a failed delivery is marked on this entry by its id).
            const from = action.message.from;
            // Written in the console: the operators' group sees the reply too.
            const control = item.body.type === "control" ? item.body.event : undefined;
            const file = action.message.attachment;
            if (control?.kind === "operator_message" && control.surface === "console" && (action.message.text || file))
              ops(resolve(action.requestId), "relay", {
                ...(action.message.text ? { text: action.message.text } : {}),
                ...(file ? { attachments: [file] } : {}),
                operator: control.operator,
              });
            await this.deps.requests.append(resolve(action.requestId), line, {
              from: "operator",
              text: action.message.text ?? (file ? (file.name ?? `[${file.type}]`) : "[image]"),
              at: now,
              id: line,
              ...(file ? { attachments: [file] } : {}),
              ...(from?.kind === "operator" ? { by: from.name } : {}),
            });
            await this.clockOnLine(resolve(action.requestId), "person", now);
          }
          break;
        }
      }
    }
    return jobs;
  }

  /** One outbox job to its adapter (a message to a user) or to the operators' side. */
  private async dispatch(job: OutboxJob): Promise<SendOutcome> {
    const b = job.body;
    if (b.kind === "ops") {
      if (!this.deps.operators) return { ok: true };
      return this.deps.operators.run(b);
    }
    const adapter = this.deps.channels.get(b.channel);
    if (!adapter) return { ok: false, permanent: true, error: `channel ${b.channel} is not enabled` };
    if (!this.channelStates.admit(b.channel)) {
      this.deps.metrics.messagesOut.inc({ channel: b.channel, outcome: "deferred" });
      return { ok: false, permanent: false, error: `${b.channel} is out of reach`, outage: true, held: true };
    }
    const end = this.deps.metrics.deliverySeconds.startTimer({ channel: b.channel });
    const outcome = await adapter.send(b);
    end();
    this.channelStates.observe(b.channel, outcome);
    if (!outcome.ok && !outcome.permanent && this.channelStates.status(b.channel).state === "unreachable") {
      return { ...outcome, outage: true };
    }
    this.deps.metrics.messagesOut.inc({
      channel: b.channel,
      outcome: outcome.ok ? "ok" : outcome.permanent ? "failed" : "retry",
    });
    return outcome;
  }

  /** A person's message that could not be delivered is reported where they wrote it. */
  private async reportFailure(job: OutboxJob, last: Extract<SendOutcome, { ok: false }>): Promise<void> {
    const b = job.body;
    const error = last.error;
    if (b.kind === "send") {
      // A permanent refusal says why; retries that ran out mean the platform kept failing.
      const reason = last.permanent ? (last.reason ?? "other") : "gave_up";
      this.deps.metrics.deliveryFailures.inc({ channel: b.channel, reason });
    }
    if (b.kind !== "send" || !b.requestId) return;
    this.deps.log.warn({ request: b.requestId, channel: b.channel, byPerson: !!b.byPerson, error }, "delivery failed");
    await this.deps.requests.update(b.requestId, { lastError: error }, Date.now());
    if (b.byPerson && b.line) {
      await this.deps.requests.append(b.requestId, `${job.key}:failure`, {
        from: "operator",
        text: error,
        at: Date.now(),
        kind: "failure",
        ref: b.line,
      });
    }
    if (b.byPerson && this.deps.operators) {
      const body: OpsJob = { kind: "ops", requestId: b.requestId, op: "failure", text: error };
      if (this.deps.channels.get(b.channel)?.anonymous) body.yields = true;
      await this.deps.outbox.enqueue([{ key: `${job.key}:failure`, lane: `ops:${b.requestId}`, body }]);
    }
  }
}

/**
 * The session learns the id the store gave the request its turn created: its entry in the
 * user's requests, the open request, and the bot's own lines about it in the recent
 * transcript (given to operators with a later escalation).
 */
function adoptRequestId(s: Session, id: string): void {
  for (const r of s.requests) if (r.id === NEW_REQUEST) r.id = id;
  if (s.openRequestId === NEW_REQUEST) s.openRequestId = id;
  for (const line of s.recent) {
    if (line.from === "bot") line.text = line.text.replaceAll(REQUEST_ID_PLACEHOLDER, id);
  }
}

/** The transcript entry saying what an operator's action (or an escalation) did to a request. */
function eventLine(a: Extract<Action, { type: "request.update" }>, at: number): TranscriptEntry | undefined {
  const by = a.by ?? a.assignee;
  const entry = (event: NonNullable<TranscriptEntry["event"]>, text: string): TranscriptEntry => ({
    from: "bot",
    text: by ? `${text} by ${by}` : text,
    at,
    kind: "event",
    event,
    ...(by ? { by } : {}),
  });
  if (a.status === "resolved") return entry("closed", "closed");
  if (a.status === "open" && a.by) return entry("reopened", "reopened");
  if (a.assignee) return entry("taken", "taken");
  if (a.handoff === false) return entry("back_to_bot", "handed back to the bot");
  if (a.handoff === true) return entry("escalated", "escalated");
  return undefined;
}

/** The local calendar day (YYYY-MM-DD) of an instant in the deployment's time zone. */
export function dayOf(at: number, timeZone: string): string {
  return localTime(new Date(at), timeZone).date;
}

/** Secrets are masked here, before the event is recorded, logged or forwarded anywhere. */
export function sanitize(e: InboundEvent): InboundEvent {
  const out: InboundEvent = { ...e };
  // A text of only invisible characters (zero-width, BOM, soft hyphens) says nothing.
  if (out.text !== undefined && isBlank(out.text)) delete out.text;
  const kinds = new Set<SecretKind>();
  if (out.text) {
    const m = maskSecrets(out.text);
    out.text = m.text;
    for (const k of m.kinds) kinds.add(k);
  }
  // A payload normally comes from our own buttons, but a client can send any: masked too.
  if (out.payload) {
    const m = maskSecrets(out.payload);
    out.payload = m.text;
    for (const k of m.kinds) kinds.add(k);
  }
  if (kinds.size) out.masked = [...kinds];
  return out;
}

/** A message with nothing in it (no text once invisible characters are gone, no attachment). */
export function isEmptyMessage(e: InboundEvent): boolean {
  return e.kind === "message" && !e.text && !e.attachments?.length;
}
