import type { DataRequestKind, PrivacyConfig } from "../content/privacy.js";
import { durationMs } from "../content/privacy.js";
import type { QuickReply } from "../ports/message.js";
import type { Session } from "../ports/session.js";
import { fold } from "../text/normalize.js";
import { type Action, NEW_REQUEST } from "./actions.js";
import { createRequest, openRequestFor } from "./requests.js";
import type { Turn } from "./turn.js";

/** The quick reply's payload that says "I agree" (the label comes from flows). */
export const AGREE = "privacy:agree";
/** What a person's request about their data is filed under: kept even without consent (the law asks for it). */
export const DATA_REQUEST_RULE = "data_request";
/** Typed instead of tapped: "Đồng ý", "dong y", "agree", "I agree" (folded, whole message). */
const AGREE_WORDS = new Set(["dong y", "toi dong y", "minh dong y", "em dong y", "agree", "i agree", "yes i agree"]);

/** Whether the bot may keep this user's data beyond the message it is answering. */
export function mayKeep(t: Turn): boolean {
  return sessionMayKeep(t.session, t.ctx.content.config.privacy);
}

/** The same, for a session after its turn (the runtime: files and the quality log). */
export function sessionMayKeep(s: Session, p: PrivacyConfig): boolean {
  const consent = s.privacy?.consent;
  if (consent?.given === false) return false;
  return !p.consent_required || consent?.given === true;
}

function agreeReply(t: Turn): QuickReply {
  return { label: t.texts.msg("privacy_agree_label"), payload: AGREE };
}

/**
 * Before a user message is answered: whether the notice is due (once per user per version),
 * and the consent answer when it is one. True when the turn is over (the user just agreed).
 */
export function privacyBefore(t: Turn, text: string, payload: string | undefined): boolean {
  const p = t.ctx.content.config.privacy;
  const s = t.session;
  s.firstAt ??= t.now;
  s.privacy ??= {};
  t.noticeDue = s.privacy.notice?.version !== p.notice_version;
  const agrees =
    payload === AGREE ||
    AGREE_WORDS.has(
      fold(text)
        .toLowerCase()
        .replace(/[.!]+$/, "")
        .trim(),
    );
  if (agrees && s.privacy.consent?.given !== true && (p.consent_required || s.privacy.consent?.given === false)) {
    s.privacy.consent = { version: p.notice_version, at: t.now, given: true };
    t.say(t.texts.msg("privacy_consent_thanks"));
    return true;
  }
  return false;
}

/**
 * The notice goes at the end of the turn's first reply (one message, not one more), and is
 * recorded with its version and time only once it was actually said. Where consent is
 * required and not given, the question follows with its "Đồng ý / Agree" button.
 */
function sayNotice(t: Turn): void {
  const p = t.ctx.content.config.privacy;
  const s = t.session;
  if (!t.noticeDue) return;
  // The first reply, but never one asking for the phone number (its share button belongs to
  // the question alone): with nothing else said, the notice waits for the next reply.
  const first = t.actions.find((a): a is Extract<Action, { type: "reply" }> => a.type === "reply" && !a.message.ask);
  if (!first) return;
  const notice = t.texts.msg("privacy_notice");
  first.message = { ...first.message, text: [first.message.text, notice].filter(Boolean).join("\n\n") };
  s.privacy = { ...s.privacy, notice: { version: p.notice_version, at: t.now } };
  if (p.consent_required && s.privacy.consent?.given !== true)
    t.say(t.texts.msg("privacy_consent_ask"), { quickReplies: [agreeReply(t)] });
}

/**
 * After the turn, without consent: what the turn would have kept is dropped (the recent
 * lines, a form's answers, the name, requests and what they would record), so the stored
 * session holds only its language, mode and the privacy record. A person's request about
 * their own data is the exception: answering it is the law's own ground for keeping it.
 */
export function privacyAfter(t: Turn): void {
  sayNotice(t);
  if (mayKeep(t)) return;
  const s = t.session;
  const keptRequest = t.actions.some((a) => a.type === "request.create" && a.draft.rule === DATA_REQUEST_RULE);
  let dropped = false;
  const kept: Action[] = [];
  for (const a of t.actions) {
    const refersToNew = a.type !== "request.create" && "requestId" in a && a.requestId === NEW_REQUEST;
    const isRequest = a.type === "request.create" || a.type === "request.append" || a.type === "request.update";
    if ((a.type === "request.create" && a.draft.rule !== DATA_REQUEST_RULE) || (!keptRequest && refersToNew)) {
      dropped = true;
      continue;
    }
    if (isRequest && a.type !== "request.create" && !keptRequest) {
      dropped = true;
      continue;
    }
    kept.push(a);
  }
  t.actions.splice(0, t.actions.length, ...kept);
  // A form begun this turn would keep its answers: it cannot go on until the user agrees.
  if (s.form) dropped = true;
  if (dropped) t.say(t.texts.msg("privacy_consent_needed"), { quickReplies: [agreeReply(t)] });
  s.recent = [];
  s.requests = s.requests.filter((r) => r.id !== NEW_REQUEST || keptRequest);
  if (s.openRequestId === NEW_REQUEST && !keptRequest) delete s.openRequestId;
  delete s.form;
  delete s.displayName;
  delete s.attachTo;
  if (s.mode === "human" && !keptRequest && dropped) {
    s.mode = "bot";
    delete s.humanUntil;
  }
}

/** "Rút lại đồng ý" / "stop storing my data": recorded, and the conversation's content forgotten now. */
export function withdrawConsent(t: Turn): void {
  const s = t.session;
  s.privacy = {
    ...s.privacy,
    consent: { version: t.ctx.content.config.privacy.notice_version, at: t.now, given: false },
  };
  s.recent = [];
  delete s.form;
  delete s.displayName;
  t.say(t.texts.msg("privacy_withdrawn"));
}

/**
 * "Xem / sửa / xóa dữ liệu của tôi": a request of its own kind with the legal deadline
 * (config/privacy.yaml `deadlines`), and the user is told what happens and by when. The
 * bot itself never changes or erases anything: a person checks who is asking first.
 */
export function dataRequest(t: Turn, intent: string): void {
  const kind = intent.split(".")[1] as DataRequestKind;
  const open = openRequestFor(t, intent);
  const def = t.intentDef(intent);
  const title = def ? t.texts.pick(def.title) : intent;
  if (open && open.intent === intent) {
    const due = open.createdAt + durationMs(t.ctx.content.config.privacy.deadlines[kind]);
    t.say(t.texts.msg("privacy_request_open", { request_id: open.id, title, due: t.texts.dateTime(due) }));
    return;
  }
  const dueAt = t.now + durationMs(t.ctx.content.config.privacy.deadlines[kind]);
  createRequest(
    t,
    { intent, title, priority: "high", fields: {}, transcript: [...t.session.recent], rule: DATA_REQUEST_RULE, dueAt },
    false,
  );
  const key =
    kind === "access" ? "privacy_access_filed" : kind === "correct" ? "privacy_correct_filed" : "privacy_erase_filed";
  t.say(t.texts.msg(key, { due: t.texts.dateTime(dueAt) }), {}, { requestId: NEW_REQUEST });
}

/**
 * While a person handles the conversation the bot says nothing of its own (SPEC), but a
 * request about the user's data still needs its own request and deadline: filed quietly
 * beside the one being handled (which stays the open one), and the person reads the words.
 */
export function dataRequestQuietly(t: Turn, intent: string): void {
  const kind = intent.split(".")[1] as DataRequestKind;
  if (t.session.requests.some((r) => r.intent === intent && r.status !== "resolved")) return;
  const def = t.intentDef(intent);
  const title = def ? t.texts.pick(def.title) : intent;
  const dueAt = t.now + durationMs(t.ctx.content.config.privacy.deadlines[kind]);
  const draft = {
    intent,
    title,
    priority: "high" as const,
    fields: {},
    transcript: [...t.session.recent],
    rule: DATA_REQUEST_RULE,
    dueAt,
  };
  t.actions.push({ type: "request.create", draft, handoff: false });
  t.session.requests.push({
    id: NEW_REQUEST,
    intent,
    title,
    status: "open",
    priority: "high",
    createdAt: t.now,
    escalated: false,
  });
}

/** Whether a stored session shows the user agreed (for exports: consent kept in a form that can be shown). */
export function consentOf(s: Session | undefined): Session["privacy"] {
  return s?.privacy;
}
