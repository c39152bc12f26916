import type { QuickReply } from "../ports/message.js";
import type { RequestDraft } from "../ports/requests.js";
import type { RequestRef } from "../ports/session.js";
import { type Action, NEW_REQUEST } from "./actions.js";
import { type Escalation, maxPriority } from "./escalation.js";
import { isOpen } from "./hours.js";
import type { Turn } from "./turn.js";

/**
 * The user's requests as the engine handles them: one open request per problem, found,
 * filed, added to and escalated here.
 *
 * A problem is an intent's family ("account" for account.locked and account.hacked,
 * "transaction" for the payment intents): a second message about the same family goes to
 * the open request, anything else opens its own. Filing a request ("ticket.create") and
 * asking for a person name no problem of their own.
 */

/** Intents that name no problem: they go with whatever the user has open, or start one. */
const GENERIC = new Set(["ticket.create", "handoff.human", "complaint.waiting", "ticket.status", "none"]);

/** The problem an intent is about, or undefined for the generic ones. */
export function problemOf(intent: string | undefined): string | undefined {
  if (!intent || GENERIC.has(intent)) return undefined;
  return intent.split(".")[0];
}

export function statusWord(t: Turn, r: RequestRef): string {
  return t.texts.msg(
    r.status === "open" ? "status_open" : r.status === "in_progress" ? "status_in_progress" : "status_resolved",
  );
}

/** A request's title in the conversation's language (stored titles keep the language they were filed in). */
export function titleOf(t: Turn, r: RequestRef): string {
  const def = t.intentDef(r.intent);
  return def ? t.texts.pick(def.title) : r.title;
}

/** `{request_id}`, `{title}` and `{status}` of a request, for the messages about it. */
export function aboutRequest(t: Turn, r: RequestRef): Record<string, string> {
  return { request_id: r.id, title: titleOf(t, r), status: statusWord(t, r) };
}

/**
 * Hand the conversation to people and say what happens next. `person`: the user asked for
 * one, so the request they have open (whatever its problem) goes to people, or a new one;
 * `fresh`: a form was being filled for this problem (none was open, or the user said it is
 * new), so its own request is filed with what was collected; otherwise only an open request
 * about the same problem is reused.
 */
export function escalate(
  t: Turn,
  rule: Escalation,
  intent: string | undefined,
  text: string,
  fields: Record<string, string> = {},
  opts: { person?: boolean; fresh?: boolean } = {},
): void {
  const { session } = t;
  delete session.form;
  delete session.attachTo;
  const problem = intent ?? "handoff.human";
  const urgentIntent = isUrgent(t, problem);
  const priority = urgentIntent ? maxPriority(rule.priority, "high") : rule.priority;
  const existing = opts.fresh ? undefined : opts.person ? latestOpen(t) : openRequestFor(t, problem);
  if (existing) {
    escalateExisting(t, existing, { ...rule, priority }, text);
    return;
  }
  const draft: RequestDraft = {
    intent: problem,
    title: t.texts.pick(t.intentDef(problem)?.title ?? { vi: problem, en: problem }),
    priority,
    fields,
    transcript: [...session.recent],
    rule: rule.rule,
  };
  createRequest(t, draft, true);
  handoffMessage(t, priority);
}

/** An open request goes to people: priority raised, what the user said added, and they are told. */
export function escalateExisting(t: Turn, r: RequestRef, rule: Escalation, text = ""): void {
  const priority = maxPriority(r.priority, rule.priority);
  r.priority = priority;
  r.escalated = true;
  t.actions.push({ type: "request.update", requestId: r.id, priority, handoff: true });
  if (text) {
    t.actions.push({ type: "request.append", requestId: r.id, line: { from: "user", text, at: t.now }, mirror: true });
  }
  if (t.ctx.operators) {
    t.session.mode = "human";
    t.session.openRequestId = r.id;
    t.session.humanUntil = t.now + t.ctx.content.config.limits.human_idle_minutes * 60_000;
  }
  handoffMessage(t, priority, r.id);
}

/**
 * The same problem again: what the user wrote is added to its open request, and they are
 * told what was added and what happens next (with a way out if it is another problem).
 * Without words to add, they are asked what to add.
 */
export function addToRequest(t: Turn, r: RequestRef, text: string, intent: string): void {
  const newProblem = t.quickReply({ label: t.ctx.content.flows.messages.request_choice_new, payload: `new:${intent}` });
  if (!text) {
    askWhatToAdd(t, r, newProblem ? [newProblem] : []);
    return;
  }
  appendUserText(t, r, text);
  t.say(
    [t.texts.msg("request_added", { ...aboutRequest(t, r), text: quote(text) }), nextStep(t, r)].join(" "),
    newProblem ? { quickReplies: [newProblem] } : {},
  );
}

/** "What would you like to add?": the next message goes to the request. */
export function askWhatToAdd(t: Turn, r: RequestRef, quickReplies: QuickReply[] = []): void {
  t.session.attachTo = r.id;
  t.say(t.texts.msg("request_add_ask", aboutRequest(t, r)), quickReplies.length ? { quickReplies } : {});
}

export function appendUserText(t: Turn, r: RequestRef, text: string): void {
  t.actions.push({
    type: "request.append",
    requestId: r.id,
    line: { from: "user", text, at: t.now },
    mirror: r.escalated,
  });
}

/** What happens to what was added: a person reads it now, or the team with the request. */
export function nextStep(t: Turn, r: RequestRef): string {
  return t.texts.msg(r.escalated ? "request_next_person" : "request_next_filed");
}

/** The user's words, shortened for quoting back. */
export function quote(text: string): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 80 ? `${one.slice(0, 77)}…` : one;
}

export function createRequest(t: Turn, draft: RequestDraft, handoff: boolean): void {
  const { session } = t;
  const action: Action = { type: "request.create", draft, handoff };
  t.actions.push(action);
  session.requests.push({
    id: NEW_REQUEST,
    intent: draft.intent,
    title: draft.title,
    status: "open",
    priority: draft.priority,
    createdAt: t.now,
    escalated: handoff,
  });
  if (session.requests.length > 20) session.requests.splice(0, session.requests.length - 20);
  session.openRequestId = NEW_REQUEST;
  if (handoff && t.ctx.operators) {
    session.mode = "human";
    session.humanUntil = t.now + t.ctx.content.config.limits.human_idle_minutes * 60_000;
  }
}

/**
 * What the user is told once a person is asked about a request: when, or that nobody can
 * be reached here. Its `{request_id}` is filled in once the id is known (`NEW_REQUEST`: the
 * request this turn created).
 */
export function handoffMessage(t: Turn, priority: string, requestId = NEW_REQUEST): void {
  const about = { requestId };
  if (!t.ctx.operators) {
    t.say(t.texts.msg("handoff_no_operators"), {}, about);
    return;
  }
  const open = isOpen(t.ctx.now, t.texts.schedule);
  if ((open || priority === "urgent") && t.ctx.online === 0) {
    // In hours, but nobody has the console open right now: say so, and when one usually answers.
    t.say(t.texts.msg("handoff_nobody_online", { response_time: t.texts.duration(t.responseMinutes()) }), {}, about);
  } else if (open || priority === "urgent") {
    t.say(t.texts.msg("handoff_started", { response_time: t.texts.duration(t.responseMinutes()) }), {}, about);
  } else {
    t.say(t.texts.msg("handoff_out_of_hours", { next_open: t.texts.nextOpen() }), {}, about);
  }
}

export function isUrgent(t: Turn, intent: string): boolean {
  return t.ctx.content.config.escalation.rules.some((r) => r.priority === "urgent" && r.when.intents?.includes(intent));
}

/**
 * The user's open request about the same problem: the same family of intents, or for a
 * generic intent, an open request that names no problem either.
 */
export function openRequestFor(t: Turn, intent: string): RequestRef | undefined {
  const problem = problemOf(intent);
  return [...t.session.requests].reverse().find((r) => r.status !== "resolved" && problemOf(r.intent) === problem);
}

export function latestOpen(t: Turn): RequestRef | undefined {
  return [...t.session.requests].reverse().find((r) => r.status !== "resolved");
}

export function requestById(t: Turn, id: string): RequestRef | undefined {
  return t.session.requests.find((r) => r.id === id && r.status !== "resolved");
}
