import type { RequestDraft } from "../ports/requests.js";
import type { RequestRef } from "../ports/session.js";
import { type Action, NEW_REQUEST } from "./actions.js";
import { type Escalation, maxPriority } from "./escalation.js";
import { isOpen } from "./hours.js";
import type { Turn } from "./turn.js";

/** The user's requests as the engine handles them: finding the open one, filing, escalating. */

export function statusWord(t: Turn, r: RequestRef): string {
  return t.texts.msg(
    r.status === "open" ? "status_open" : r.status === "in_progress" ? "status_in_progress" : "status_resolved",
  );
}

/** Hand the conversation to people: reuse the open request or create one, then say what happens next. */
export function escalate(
  t: Turn,
  rule: Escalation,
  intent: string | undefined,
  text: string,
  fields: Record<string, string> = {},
): void {
  const { session } = t;
  delete session.form;
  const urgentIntent = session.lastIntent && isUrgent(t, session.lastIntent);
  const priority = urgentIntent ? maxPriority(rule.priority, "high") : rule.priority;
  const existing = latestOpen(t);
  if (existing) {
    escalateExisting(t, existing, { ...rule, priority });
    if (text) {
      t.actions.push({
        type: "request.append",
        requestId: existing.id,
        line: { from: "user", text, at: t.now },
        mirror: true,
      });
    }
    return;
  }
  const problem = intent ?? session.lastIntent ?? "handoff.human";
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

export function escalateExisting(t: Turn, r: RequestRef, rule: Escalation): void {
  const priority = maxPriority(r.priority, rule.priority);
  const changed = priority !== r.priority || !r.escalated;
  r.priority = priority;
  r.escalated = true;
  if (changed) t.actions.push({ type: "request.update", requestId: r.id, priority, handoff: true });
  t.say(t.texts.msg("request_existing", { request_id: r.id, status: statusWord(t, r) }));
  if (t.ctx.operators) {
    t.session.mode = "human";
    t.session.openRequestId = r.id;
    t.session.humanUntil = t.now + t.ctx.content.config.limits.human_idle_minutes * 60_000;
  }
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
 * What the user is told once a person is asked about the request this turn created: when,
 * or that nobody can be reached here. Its `{request_id}` is filled in once the id is known.
 */
export function handoffMessage(t: Turn, priority: string): void {
  const about = { requestId: NEW_REQUEST };
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

/** The user's open request about the same problem (intent), if there is one. */
export function openRequestFor(t: Turn, intent: string): RequestRef | undefined {
  return [...t.session.requests].reverse().find((r) => r.status !== "resolved" && r.intent === intent);
}

export function latestOpen(t: Turn): RequestRef | undefined {
  return [...t.session.requests].reverse().find((r) => r.status !== "resolved");
}
