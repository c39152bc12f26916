import type { Localized } from "../content/schema.js";
import type { Attachment, OutboundMessage, QuickReply } from "../ports/message.js";
import type { RequestDraft } from "../ports/requests.js";
import { NEW_REQUEST } from "./actions.js";
import { commandOf } from "./commands.js";
import type { Escalation } from "./escalation.js";
import { validateField } from "./forms.js";
import { answerIntent } from "./intents.js";
import { createRequest, escalate, handoffMessage } from "./requests.js";
import { signals, type Turn } from "./turn.js";

/** Attempts at one question before the form counts as failed. */
const MAX_ATTEMPTS = 3;

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

/**
 * One user message while a form is open. "hủy"/"cancel" leaves it, "bỏ qua"/"skip"
 * passes an optional question, "menu" and "gặp nhân viên" work from inside, an invalid
 * answer is asked again (and a question about something else is answered, then the form
 * resumes).
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
  const cmd =
    payload === "form:skip"
      ? "skip"
      : payload === "form:cancel"
        ? "cancel"
        : text
          ? commandOf(ctx.content, text)
          : undefined;

  if (cmd === "cancel") {
    abandon(t, text);
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
      escalate(
        t,
        { rule: "ask_for_person", priority: state.escalation?.priority ?? "normal", collectForm: false },
        state.intent,
        "",
        labelled(t),
      );
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

  const value = validateField(field, text, attachments, t.clock);
  const m = text ? ctx.matcher.match(text) : undefined;
  if (m?.zone === "answer" && m.intent === "handoff.human") {
    escalate(
      t,
      { rule: "ask_for_person", priority: state.escalation?.priority ?? "normal", collectForm: false },
      state.intent,
      text,
      labelled(t),
    );
    return;
  }
  // Another intent wins over the answer when the answer does not fit, or when it is word
  // for word that intent ("bye" is not an account name); "acc_vip" is.
  const other =
    m?.zone === "answer" && field.type !== "text" && m.intent !== state.intent && (value === undefined || m.exact)
      ? m
      : undefined;
  if (value !== undefined && !other) {
    next(t, value);
    return;
  }
  if (other) {
    // A question about something else: answer it, then come back to ours.
    const saved = session.form;
    delete session.form;
    t.steps.decide(t, text, other);
    const ended = t.intentDef(other.intent)?.action === "end_conversation";
    if (!ended && !session.form && session.mode === "bot" && saved) {
      session.form = saved;
      t.say(t.texts.msg("form_resumed", { prompt: t.texts.fill(currentPrompt(t)) }));
    }
    return;
  }
  state.attempts++;
  if (state.attempts >= MAX_ATTEMPTS) {
    abandon(t, text);
    return;
  }
  const invalid = field.invalid ? t.texts.pick(field.invalid) : t.texts.msg("form_invalid_generic");
  ask(t, invalid);
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

/** Leaving a form (cancel, or too many invalid answers) counts toward the "form failed twice" rule. */
function abandon(t: Turn, text: string): void {
  const { session, ctx } = t;
  const state = session.form;
  delete session.form;
  session.formFailures++;
  t.say(t.texts.msg("form_cancelled"));
  const rule = ctx.rules.evaluate(signals(t, { text }), "form_failures");
  if (rule) {
    session.formFailures = 0;
    escalate(t, rule, state?.intent, text);
  }
}
