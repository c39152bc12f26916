import type { MatchResult, Zone } from "../nlu/matcher.js";
import type { ControlEvent } from "../ports/control.js";
import type { Attachment, InboundEvent, OutboundMessage, QuickReply } from "../ports/message.js";
import type { RequestDraft } from "../ports/requests.js";
import type { RequestRef, Session } from "../ports/session.js";
import { namedRequests } from "../text/entities.js";
import { canon, clip, fold } from "../text/normalize.js";
import { type Action, NEW_REQUEST } from "./actions.js";
import { commandOf } from "./commands.js";
import { formTurn, startForm } from "./form-flow.js";
import { answerIntent } from "./intents.js";
import { dataRequestQuietly, privacyAfter, privacyBefore } from "./privacy.js";
import { askRating, ratingTurn } from "./rating.js";
import {
  aboutRequest,
  appendUserText,
  askWhatToAdd,
  createRequest,
  escalate,
  latestOpen,
  nextStep,
  quote,
  requestById,
} from "./requests.js";
import { newSession, remember } from "./session.js";
import { type EngineContext, signals, Turn, type TurnSteps } from "./turn.js";

/** The engine's steps the helpers call back into (see `TurnSteps`). */
const STEPS: TurnSteps = { decide: (t, text, m) => decide(t, text, m), startForm };

export interface EngineResult {
  session: Session;
  actions: Action[];
  /** For metrics: what the message was matched to. */
  intent?: string;
  zone?: Zone;
}

/**
 * The conversation engine: one event and the conversation's session in, the new session
 * and the actions to carry out back. No I/O: the runtime loads, stores and sends.
 */
export function handle(event: InboundEvent, stored: Session | undefined, ctx: EngineContext): EngineResult {
  // A new user's first reply follows their app's language when their words do not say.
  const hinted = event.meta?.lang?.toLowerCase().startsWith("en") ? "en" : "vi";
  const session: Session = structuredClone(stored ?? newSession(hinted));
  const t = new Turn(ctx, session, event, STEPS);
  if (event.displayName) session.displayName = event.displayName;
  const limits = ctx.content.config.limits;

  if (event.kind === "human_reply") {
    // A person answered from the platform's own inbox: keep quiet while they talk, and a
    // while after (each of their messages extends the pause).
    session.mode = "human";
    session.humanUntil = t.now + limits.inbox_echo_minutes * 60_000;
    if (event.text) remember(session, { from: "operator", text: event.text, at: t.now });
    return done(t);
  }
  if (event.kind === "unfollow") return done(t);
  if (event.kind === "standby") {
    standby(t, event);
    return done(t);
  }

  const text = (event.text ?? "").trim();
  // The language is decided per message from its words, and kept when they say nothing:
  // "ok", a number, a command word ("thôi", "cancel"), or a form answer ("acc_vip", "20/11":
  // inside a form only a sentence counts). Read from the first characters only: this runs
  // before the length limit below (a too-long message is refused in the user's language).
  const head = clip(text);
  const neutral = !head || commandOf(ctx.content, head) !== undefined;
  if (!neutral && (!session.form || head.split(/\s+/, 3).length >= 3)) t.setLang(ctx.matcher.language(head));
  // The live chat's page says which language its visitor reads; a greeting follows it.
  if (!text && (event.kind === "start" || event.kind === "follow") && event.meta?.lang) t.setLang(hinted);
  if (event.masked?.length) t.say(t.texts.msg("secret_warning"));
  if (text) remember(session, { from: "user", text, at: t.now });
  session.lastUserAt = userTime(event, t.now);
  // A person handling the conversation gets the user's words as they are; the bot's own turns
  // (notice, consent, what may be kept) start here.
  if (session.mode !== "human" && ctx.privacy) {
    t.privacy = true;
    if (privacyBefore(t, text, event.payload)) return done(t);
  }

  if (session.mode === "human") {
    if (session.humanUntil !== undefined && t.now > session.humanUntil) {
      session.mode = "bot";
      delete session.humanUntil;
    } else {
      const asked = text ? ctx.matcher.match(text) : undefined;
      if (asked?.zone === "answer" && asked.intent && t.intentDef(asked.intent)?.action === "data_request")
        dataRequestQuietly(t, asked.intent);
      if (session.openRequestId) {
        const line = {
          from: "user" as const,
          text: text || `[${event.attachments?.map((a) => a.type).join(", ") ?? ""}]`,
          at: t.now,
        };
        const append: Action = { type: "request.append", requestId: session.openRequestId, line, mirror: true };
        if (event.attachments?.length) append.attachments = event.attachments;
        t.actions.push(append);
      }
      return done(t);
    }
  }

  if (floodLimited(t)) return done(t);
  if (text.length > limits.max_message_chars) {
    t.say(t.texts.msg("message_too_long", { max: limits.max_message_chars }));
    return done(t);
  }

  if (event.kind === "start" || event.kind === "follow") {
    if (!event.payload || !routePayload(t, event.payload)) answerIntent(t, "greeting");
    return done(t);
  }

  const payload = event.payload ?? choiceFor(session, text);
  if (session.rating && !session.form && ratingTurn(t, text, payload)) return done(t);
  if (session.attachTo && !session.form) {
    const attachTo = session.attachTo;
    delete session.attachTo;
    if (!payload && addingTo(t, attachTo, text)) return done(t);
  }
  if (payload && !session.form && routePayload(t, payload)) return done(t);

  if (session.form) {
    formTurn(t, text, event.attachments ?? [], payload);
    return done(t);
  }

  if (!text) {
    attachmentOnly(t);
    return done(t);
  }

  const cmd = commandOf(ctx.content, text);
  if (cmd === "menu") {
    t.menu();
    return done(t);
  }

  const m = ctx.matcher.match(text);
  t.zone = m.zone;
  if (m.zone !== "answer" && !m.reason && namedRequests(text, ctx.content.config.brand.request_prefix).length > 0) {
    // A request id on its own ("HT-000123?", "phiếu số 10293") asks for that request's status.
    answerIntent(t, "ticket.status", undefined, text);
    return done(t);
  }
  decide(t, text, m);
  return done(t);
}

/**
 * When the user acted, as the platform's messaging window counts it: the platform's own time
 * of the event (a backlog or a restart must not stretch the window), never later than now.
 */
function userTime(event: InboundEvent, now: number): number {
  return Number.isFinite(event.timestamp) && event.timestamp > 0 ? Math.min(event.timestamp, now) : now;
}

/**
 * The user wrote while the platform's own inbox owns the conversation (Messenger's Page
 * Inbox): never answered. Operators see it: added to the open request, or to a new one that
 * says who has the conversation, so a person in hotro can answer (the channel takes the
 * conversation back when they do).
 */
function standby(t: Turn, event: InboundEvent): void {
  const { session } = t;
  const limits = t.ctx.content.config.limits;
  const text = (event.text ?? "").trim();
  if (text) remember(session, { from: "user", text, at: t.now });
  session.lastUserAt = userTime(event, t.now);
  session.mode = "human";
  session.humanUntil = Math.max(session.humanUntil ?? 0, t.now + limits.inbox_echo_minutes * 60_000);
  const inbox = event.meta?.inbox ?? "the platform's inbox";
  const open = latestOpen(t);
  if (open) {
    const line = {
      from: "user" as const,
      text: text || `[${event.attachments?.map((a) => a.type).join(", ") ?? ""}]`,
      at: t.now,
    };
    const append: Action = { type: "request.append", requestId: open.id, line, mirror: true };
    if (event.attachments?.length) append.attachments = event.attachments;
    t.actions.push(append);
    session.openRequestId = open.id;
  } else {
    const intent = "handoff.human";
    const draft: RequestDraft = {
      intent,
      title: t.texts.pick(t.intentDef(intent)?.title ?? { vi: intent, en: intent }),
      priority: "normal",
      fields: {},
      transcript: [...session.recent],
      rule: "platform_inbox",
    };
    createRequest(t, draft, true);
    session.humanUntil = Math.max(session.humanUntil ?? 0, t.now + limits.inbox_echo_minutes * 60_000);
  }
  // Said once per stretch the inbox holds the conversation (the channel marks the first message).
  if (!open || event.meta?.inbox_new === "1") {
    t.actions.push({
      type: "request.append",
      requestId: open?.id ?? NEW_REQUEST,
      line: {
        from: "bot",
        kind: "event",
        event: "inbox",
        by: inbox,
        text: `${inbox} has this conversation`,
        at: t.now,
      },
      mirror: true,
    });
  }
}

/**
 * The message after "what would you like to add to HT-…?": it goes to that request, and the
 * user is told what was added and what happens next. A command, a tap or a request for a
 * person is not something to add (false: handle the message as usual).
 */
function addingTo(t: Turn, requestId: string, text: string): boolean {
  const r = requestById(t, requestId);
  if (!r) return false;
  const cmd = text ? commandOf(t.ctx.content, text) : undefined;
  if (cmd === "cancel" || cmd === "skip") {
    t.say(t.texts.msg("request_add_cancelled", { request_id: r.id }));
    return true;
  }
  if (cmd === "menu") return false;
  const attachments = t.event?.attachments ?? [];
  if (text) {
    const m = t.ctx.matcher.match(text);
    if (m.zone === "answer" && m.intent === "handoff.human") return false;
    appendUserText(t, r, text);
    if (attachments.length > 0) appendAttachments(t, r, attachments);
    t.say([t.texts.msg("request_added", { ...aboutRequest(t, r), text: quote(text) }), nextStep(t, r)].join(" "));
    return true;
  }
  if (attachments.length === 0) return false;
  appendAttachments(t, r, attachments);
  t.say([t.texts.msg("request_attached", { request_id: r.id }), nextStep(t, r)].join(" "));
  return true;
}

function appendAttachments(t: Turn, r: RequestRef, attachments: Attachment[]): void {
  t.actions.push({
    type: "request.append",
    requestId: r.id,
    line: { from: "user", text: `[${attachments.map((a) => a.type).join(", ")}]`, at: t.now },
    attachments,
    mirror: r.escalated,
  });
}

/** Answer, clarify or fall back by the matcher's zone, then let the escalation rules speak. */
function decide(t: Turn, text: string, m: MatchResult): void {
  const { session, ctx } = t;
  const best = m.top[0];
  const bestDef = best ? t.intentDef(best.intent) : undefined;
  // Small talk (greeting, thanks) is harmless to answer even when unsure.
  const smallTalk =
    m.zone === "clarify" && best && bestDef && !bestDef.suggest && best.score >= ctx.matcher.thresholds.clarify;
  if (m.zone === "answer" || smallTalk) {
    let intent = best?.intent ?? m.intent;
    // "Chào" is hello and goodbye: as the first words of a conversation, it is hello.
    if (intent === "goodbye" && firstMessage(t) && t.intentDef("greeting") && /\bchao\b/u.test(fold(canon(text))))
      intent = "greeting";
    session.fallbackStreak = 0;
    answerIntent(t, intent, ctx.rules.evaluate(signals(t, { intent, text })), text);
    return;
  }
  if (m.zone === "clarify" && text.trim()) {
    const choices = m.top
      .filter((c) => t.intentDef(c.intent)?.suggest !== false && c.score >= ctx.matcher.thresholds.clarify / 3)
      .slice(0, 3)
      .map((c) => t.quickReply(c.intent))
      .filter((q): q is QuickReply => !!q);
    if (choices.length > 0) {
      // Angry or fraud wording escalates even when the message itself was not understood.
      const rule = ctx.rules.evaluate(signals(t, { text }), "words");
      if (rule) {
        escalate(t, rule, undefined, text);
        return;
      }
      t.intent = "clarify";
      t.say(t.texts.msg("did_you_mean"), {
        quickReplies: [...choices, t.quickReply("handoff.human")].filter((q): q is QuickReply => !!q),
      });
      return;
    }
  }
  fallback(t, text, m.reason);
}

/**
 * Not understood, or not ours. Said once: what the bot can do (or why it will not answer:
 * another organisation's service, instructions aimed at the bot). When an escalation rule
 * applies (two in a row, angry or fraud words), a person is asked and the user is told so;
 * otherwise the second fallback in a row offers one.
 */
function fallback(t: Turn, text: string, reason?: MatchResult["reason"]): void {
  const { session, ctx } = t;
  session.fallbackStreak++;
  t.intent = "none";
  const rule = ctx.rules.evaluate(signals(t, { text }));
  if (rule) {
    session.fallbackStreak = 0;
    t.say(t.texts.msg("fallback_handoff"));
    escalate(t, rule, undefined, text);
    return;
  }
  const greeting = t.intentDef("greeting");
  const menu = (greeting?.quick_replies ?? []).map((q) => t.quickReply(q)).filter((q): q is QuickReply => !!q);
  if (session.fallbackStreak >= 2) {
    const qr = t.quickReply("handoff.human");
    t.say(t.texts.msg("fallback_again"), qr ? { quickReplies: [qr] } : {});
  } else if (reason === "other_service") {
    t.say(t.texts.msg("fallback_other_service"), { quickReplies: menu });
  } else if (reason === "aimed_at_bot") {
    t.say(t.texts.msg("fallback_instructions"), { quickReplies: menu });
  } else {
    t.say(t.texts.msg("fallback"), { quickReplies: menu });
  }
}

/** Whether this is the first thing the user said in the conversation. */
function firstMessage(t: Turn): boolean {
  return !t.session.lastIntent && t.session.recent.filter((l) => l.from === "user").length <= 1;
}

/**
 * Payloads from quick replies and buttons: `intent:<id>`, `new:<id>` (the same intent as a
 * new problem), `attach:<request id>` (add to that request), `menu`, Get Started.
 */
function routePayload(t: Turn, payload: string): boolean {
  if (payload.startsWith("new:")) {
    const id = payload.slice(4);
    if (!t.intentDef(id)) return false;
    t.zone = "answer";
    t.session.fallbackStreak = 0;
    answerIntent(t, id, t.ctx.rules.evaluate(signals(t, { intent: id })), "", true);
    return true;
  }
  if (payload.startsWith("attach:")) {
    const r = requestById(t, payload.slice(7));
    if (!r) return false;
    t.intent = "ticket.create";
    askWhatToAdd(t, r);
    return true;
  }
  if (payload.startsWith("intent:")) {
    const id = payload.slice(7);
    if (!t.intentDef(id)) return false;
    t.zone = "answer";
    t.session.fallbackStreak = 0;
    // A tapped button's title is ours, not the user's words: no text for the rules.
    answerIntent(t, id, t.ctx.rules.evaluate(signals(t, { intent: id })));
    return true;
  }
  if (payload === "menu" || /^get_?started$/i.test(payload)) {
    if (payload === "menu") t.menu();
    else answerIntent(t, "greeting");
    return true;
  }
  return false;
}

// On trimmed, single-spaced text: "^\s*(\d{1,2})\s*[.)]?\s*$" tried every split of a long run of spaces.
export const CHOICE_NUMBER = /^(\d{1,2})\s?[.)]?$/;

/** "2", or a button's label typed back, means the choice we offered last. */
function choiceFor(session: Session, text: string): string | undefined {
  if (!session.choices?.length || !text) return undefined;
  const n = CHOICE_NUMBER.exec(text.trim().replace(/\s+/gu, " "));
  if (n) return session.choices[Number(n[1]) - 1]?.payload;
  const f = fold(canon(text));
  return session.choices.find((c) => fold(canon(c.label)) === f || c.payload === text.trim())?.payload;
}

function attachmentOnly(t: Turn): void {
  const { session, event } = t;
  const open = session.openRequestId ? requestById(t, session.openRequestId) : undefined;
  const attachments = event?.attachments ?? [];
  if (open && attachments.length > 0) {
    appendAttachments(t, open, attachments);
    t.say([t.texts.msg("request_attached", { request_id: open.id }), nextStep(t, open)].join(" "));
    return;
  }
  t.say(t.texts.msg("unsupported_attachment"));
}

/** More than N messages in the window: one polite notice, then quiet until the user slows down. */
function floodLimited(t: Turn): boolean {
  const { session } = t;
  const { flood_messages, flood_seconds } = t.ctx.content.config.limits;
  const f = session.flood;
  if (!f || t.now - f.windowStart > flood_seconds * 1000) {
    session.flood = { windowStart: t.now, count: 1, notified: false };
    return false;
  }
  f.count++;
  if (f.count <= flood_messages) return false;
  if (!f.notified) {
    f.notified = true;
    t.say(t.texts.msg("flood_notice"));
  }
  return true;
}

/** Operators act on a request; the user's conversation learns of it in order with its own messages. */
export function handleControl(event: ControlEvent, stored: Session | undefined, ctx: EngineContext): EngineResult {
  const session: Session = structuredClone(stored ?? newSession());
  const t = new Turn(ctx, session, undefined, STEPS);
  const idle = ctx.content.config.limits.human_idle_minutes * 60_000;
  const ref =
    "requestId" in event && event.requestId ? session.requests.find((r) => r.id === event.requestId) : undefined;
  switch (event.kind) {
    case "operator_message": {
      session.mode = "human";
      session.humanUntil = t.now + idle;
      session.openRequestId = event.requestId;
      delete session.form;
      if (ref && ref.status === "open") {
        ref.status = "in_progress";
        t.actions.push({ type: "request.update", requestId: ref.id, status: "in_progress" });
      }
      if (ref) ref.personReplied = true;
      const from = { kind: "operator", name: event.operator } as const;
      const message: OutboundMessage = { from };
      if (event.text) message.text = event.text;
      if (event.image) message.image = event.image;
      if (message.text || message.image) t.actions.push({ type: "relay", requestId: event.requestId, message });
      // Each file is a message of its own: one the user's platform refuses is reported on its
      // own line, and never holds up the others.
      for (const attachment of event.attachments ?? [])
        t.actions.push({ type: "relay", requestId: event.requestId, message: { from, attachment } });
      const files = (event.attachments ?? []).map((a) => a.name ?? `[${a.type}]`);
      remember(session, {
        from: "operator",
        text: [event.text, ...files].filter(Boolean).join(" ") || "[image]",
        at: t.now,
      });
      break;
    }
    case "request_taken": {
      session.mode = "human";
      session.humanUntil = t.now + idle;
      session.openRequestId = event.requestId;
      if (ref && ref.status === "open") ref.status = "in_progress";
      t.actions.push({
        type: "request.update",
        requestId: event.requestId,
        status: "in_progress",
        assignee: event.operator,
      });
      break;
    }
    case "request_closed": {
      if (ref) ref.status = "resolved";
      t.actions.push({
        type: "request.update",
        requestId: event.requestId,
        status: "resolved",
        closedBy: event.auto || !event.operator ? "auto" : "person",
        ...(event.operator ? { by: event.operator } : {}),
      });
      if (session.openRequestId === event.requestId || session.mode === "human") {
        session.mode = "bot";
        delete session.humanUntil;
        delete session.openRequestId;
      }
      const closed = t.texts.msg("request_closed", { request_id: event.requestId });
      const rating = askRating(t, event, ref);
      if (rating) t.say(`${closed}\n\n${rating.text}`, { quickReplies: rating.quickReplies });
      else t.say(closed);
      break;
    }
    case "request_reopened": {
      // Open again: the conversation goes back to the people handling the request.
      if (ref) {
        ref.status = "open";
        ref.escalated = true;
      }
      session.mode = "human";
      session.humanUntil = t.now + idle;
      session.openRequestId = event.requestId;
      t.actions.push({
        type: "request.update",
        requestId: event.requestId,
        status: "open",
        handoff: true,
        by: event.operator,
      });
      break;
    }
    case "back_to_bot": {
      session.mode = "bot";
      delete session.humanUntil;
      t.say(t.texts.msg("human_returned_to_bot"));
      if (event.requestId)
        t.actions.push({
          type: "request.update",
          requestId: event.requestId,
          handoff: false,
          ...(event.operator ? { by: event.operator } : {}),
        });
      break;
    }
  }
  return { session, actions: t.actions };
}

function done(t: Turn): EngineResult {
  if (t.privacy) privacyAfter(t);
  const r: EngineResult = { session: t.session, actions: t.actions };
  if (t.intent) r.intent = t.intent;
  if (t.zone) r.zone = t.zone;
  return r;
}
