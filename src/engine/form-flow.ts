import type { Localized } from "../content/schema.js";
import type { MatchResult } from "../nlu/matcher.js";
import type { Attachment, OutboundMessage, QuickReply } from "../ports/message.js";
import type { RequestDraft } from "../ports/requests.js";
import { emails, handles, phones, urls } from "../text/entities.js";
import { NEW_REQUEST } from "./actions.js";
import { commandOf } from "./commands.js";
import type { Escalation } from "./escalation.js";
import { type AnswerLooks, validateField } from "./forms.js";
import { answerIntent } from "./intents.js";
import { createRequest, escalate, handoffMessage } from "./requests.js";
import { signals, type Turn } from "./turn.js";

/** Attempts at one question before the form counts as failed. */
const MAX_ATTEMPTS = 3;
/** A question this short is a question, not an answer that happens to ask one (6 words for a description). */
const QUESTION_WORDS = 8;
/** The matcher is this sure a message is out of scope: it answers no question of a form. */
const OFF_TOPIC = 0.9;

export function startForm(t: Turn, formId: string, intent: string, rule?: Escalation): void {
  const form = t.ctx.content.flows.forms[formId];
  if (!form) return;
  t.session.form = { id: formId, intent, field: 0, answers: {}, attempts: 0 };
  if (rule) t.session.form.escalation = { rule: rule.rule, priority: rule.priority };
  if (form.intro) t.say(t.texts.pick(form.intro));
  ask(t);
}

/** Ask the current question; optional ones carry a "skip" button, every one a "cancel". */
function ask(t: Turn, lead?: string): void {
  const state = t.session.form;
  const field = state ? t.ctx.content.flows.forms[state.id]?.fields[state.field] : undefined;
  if (!field) return;
  const qrs: QuickReply[] = [];
  if (field.optional)
    qrs.push({ label: t.texts.msg("form_skip_hint").split("\n")[0]?.slice(0, 20) ?? "skip", payload: "form:skip" });
  const prompt = t.texts.fill(t.texts.pick(field.prompt));
  const extras: Omit<OutboundMessage, "text"> = qrs.length ? { quickReplies: qrs } : {};
  if (field.type === "phone") {
    // Channels with a one-tap "share my number" offer it; typing the number works everywhere.
    const label = (t.ctx.content.flows.messages as Partial<Record<string, Localized>>).share_phone_button;
    extras.ask = label ? { kind: "phone", label: t.texts.pick(label) } : { kind: "phone" };
  }
  t.say([lead, prompt].filter(Boolean).join("\n"), extras);
  // Earlier buttons no longer apply: "1" now answers this question, not an old choice.
  if (qrs.length === 0) delete t.session.choices;
}

function currentPrompt(t: Turn): string {
  const state = t.session.form;
  const field = state ? t.ctx.content.flows.forms[state.id]?.fields[state.field] : undefined;
  return field ? t.texts.pick(field.prompt) : "";
}

/** Back to the form after answering something else: the same question again. */
function resume(t: Turn): void {
  t.say(t.texts.msg("form_resumed", { prompt: t.texts.fill(currentPrompt(t)) }));
}

/** Phone numbers, emails, links and handles: what "is this official?" checks. */
function checkable(text: string): boolean {
  return phones(text).length + emails(text).length + urls(text).length + handles(text).length > 0;
}

/**
 * One user message while a form is open. "hủy"/"cancel" leaves it, "bỏ qua"/"skip"
 * passes an optional question, "menu" and "gặp nhân viên" work from inside. An answer that
 * does not fit is asked again; a question about something else is answered and the form
 * resumes at the same question (when that answer asked something back, "send me the
 * link", the form waits for it first).
 */
export function formTurn(t: Turn, text: string, attachments: readonly Attachment[], payload?: string): void {
  const { session, ctx } = t;
  const state = session.form;
  const form = state ? ctx.content.flows.forms[state.id] : undefined;
  const field = form?.fields[state?.field ?? 0];
  if (!state || !form || !field) {
    delete session.form;
    return;
  }
  const paused = state.paused;
  delete state.paused;
  if (paused === "verify_official" && !payload && checkable(text)) {
    // The link or number the bot asked for in the middle of the form.
    detour(t, () => answerIntent(t, "contact.verify_official", undefined, text));
    return;
  }
  const cmd =
    payload === "form:skip"
      ? "skip"
      : payload === "form:cancel"
        ? "cancel"
        : text
          ? commandOf(ctx.content, text)
          : undefined;

  if (cmd === "cancel") {
    cancel(t);
    return;
  }
  if (cmd === "menu" || payload === "menu") {
    delete session.form;
    t.menu();
    return;
  }
  if (payload?.startsWith("intent:")) {
    const id = payload.slice(7);
    if (id === "handoff.human") {
      toPerson(t, "");
      return;
    }
    delete session.form;
    answerIntent(t, id);
    return;
  }
  if (cmd === "skip" && field.type !== "image" && !field.optional) {
    ask(t, t.texts.msg("form_not_optional"));
    return;
  }
  if (cmd === "skip") {
    next(t, "—");
    return;
  }

  const m = text ? ctx.matcher.match(text) : undefined;
  if (m?.zone === "answer" && m.intent === "handoff.human") {
    toPerson(t, text);
    return;
  }
  const looks = judge(t, text, m, field.type === "text" ? 6 : QUESTION_WORDS);
  const value = validateField(field, text, attachments, t.clock, looks);
  // Another intent wins over the answer when the answer does not fit, when it is word for
  // word that intent ("bye" is not an account name; "acc_vip" is), or when it is a short
  // question ("số hotline là gì?"). A description that mentions a problem is a description.
  const other =
    m?.zone === "answer" && m.intent !== state.intent && (m.exact || looks.question || value === undefined)
      ? m
      : undefined;
  if (value !== undefined && !other) {
    next(t, value);
    return;
  }
  if (other) {
    detour(t, () => t.steps.decide(t, text, other), other.intent);
    return;
  }
  state.attempts++;
  if (state.attempts >= MAX_ATTEMPTS) {
    failed(t, text);
    return;
  }
  // An insult gets an apology, words about something else a reminder of the question; a
  // question or a wrong shape the field's own hint (it says what an answer looks like).
  const lead = looks.insult
    ? t.texts.msg("form_insult")
    : looks.offTopic || m?.reason
      ? t.texts.msg("form_not_an_answer")
      : field.invalid
        ? t.texts.pick(field.invalid)
        : t.texts.msg("form_invalid_generic");
  ask(t, lead);
}

/** What the words of an answer are, beyond its shape. */
function judge(t: Turn, text: string, m: MatchResult | undefined, questionWords: number): AnswerLooks {
  if (!text) return {};
  const { matcher } = t.ctx;
  const words = text.trim().split(/\s+/).length;
  return {
    insult: matcher.says("insult", text),
    question: words <= questionWords && (text.includes("?") || matcher.says("question", text)),
    offTopic: !!m && m.zone === "fallback" && (m.none >= OFF_TOPIC || m.reason !== undefined) && words > 1,
  };
}

/**
 * Answer something else in the middle of the form, then come back to the same question,
 * unless that answer ended the form, started another, handed over to a person, or asked the
 * user something back (then the form waits one message for it).
 */
function detour(t: Turn, answer: () => void, intent?: string): void {
  const { session } = t;
  const saved = session.form;
  delete session.form;
  answer();
  const def = intent ? t.intentDef(intent) : undefined;
  if (def?.action === "end_conversation" || session.form || session.mode !== "bot" || !saved) return;
  if (t.created()) return;
  session.form = saved;
  const lastText = t.lastSaid();
  if (def?.action === "verify_official" && lastText === t.texts.msg("verify_ask")) {
    saved.paused = "verify_official";
    return;
  }
  resume(t);
}

/** A person, asked for from inside the form: they get the request with what was collected. */
function toPerson(t: Turn, text: string): void {
  const state = t.session.form;
  if (!state) return;
  escalate(
    t,
    { rule: "ask_for_person", priority: state.escalation?.priority ?? "normal", collectForm: false },
    state.intent,
    text,
    labelled(t),
    { fresh: true },
  );
}

function next(t: Turn, value: string): void {
  const state = t.session.form;
  if (!state) return;
  const form = t.ctx.content.flows.forms[state.id];
  const field = form?.fields[state.field];
  if (!form || !field) return;
  state.answers[field.id] = value;
  state.field++;
  state.attempts = 0;
  if (state.field < form.fields.length) {
    ask(t);
    return;
  }
  complete(t);
}

/** Answers keyed by their field labels, in the user's language, for operators. */
function labelled(t: Turn): Record<string, string> {
  const state = t.session.form;
  const form = state ? t.ctx.content.flows.forms[state.id] : undefined;
  const out: Record<string, string> = {};
  for (const f of form?.fields ?? []) {
    const v = state?.answers[f.id];
    if (v !== undefined) out[t.texts.pick(f.label)] = v;
  }
  return out;
}

function complete(t: Turn): void {
  const { session } = t;
  const state = session.form;
  const form = state ? t.ctx.content.flows.forms[state.id] : undefined;
  if (!state || !form) return;
  const intentDef = t.intentDef(state.intent);
  const draft: RequestDraft = {
    intent: state.intent,
    title: intentDef ? t.texts.pick(intentDef.title) : state.intent,
    priority: state.escalation?.priority ?? "normal",
    fields: labelled(t),
    transcript: [...session.recent],
  };
  if (state.escalation) draft.rule = state.escalation.rule;
  const handoff = !!state.escalation;
  delete session.form;
  createRequest(t, draft, handoff);
  t.say(t.texts.fill(t.texts.pick(form.done)), {}, { requestId: NEW_REQUEST });
  if (handoff) handoffMessage(t, draft.priority);
}

/**
 * The user left the form ("hủy"): nothing is filed, ever, in the turn that says so. It
 * counts toward the "form failed" rule; once that rule would apply, a person is offered.
 */
function cancel(t: Turn): void {
  const { session, ctx } = t;
  delete session.form;
  session.formFailures++;
  const rule = ctx.rules.evaluate(signals(t), "form_failures");
  const person = rule ? t.quickReply("handoff.human") : undefined;
  if (person) {
    session.formFailures = 0;
    t.say(t.texts.msg("form_cancelled_person"), { quickReplies: [person] });
    return;
  }
  t.say(t.texts.msg("form_cancelled"));
}

/**
 * Too many answers that did not fit: the form ends. When the "form failed" rule applies, a
 * person gets the request with what was collected; otherwise nothing is filed.
 */
function failed(t: Turn, text: string): void {
  const { session, ctx } = t;
  const state = session.form;
  const fields = labelled(t);
  session.formFailures++;
  const rule = ctx.rules.evaluate(signals(t, { text }), "form_failures");
  if (rule && state) {
    session.formFailures = 0;
    t.say(t.texts.msg("form_failed_handoff"));
    escalate(t, rule, state.intent, text, fields, { fresh: true });
    return;
  }
  delete session.form;
  t.say(t.texts.msg("form_cancelled"));
}
