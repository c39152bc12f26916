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
  const { s } = t;
  delete s.form;
  const urgentIntent = s.lastIntent && isUrgent(t, s.lastIntent);
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
  const problem = intent ?? s.lastIntent ?? "handoff.human";
  const draft: RequestDraft = {
    intent: problem,
    title: t.texts.pick(t.intentDef(problem)?.title ?? { vi: problem, en: problem }),
    priority,
    fields,
    transcript: [...s.recent],
    rule: rule.rule,
  };
  createRequest(t, draft, true);
  handoffMessage(t, NEW_REQUEST, priority);
}

export function escalateExisting(t: Turn, r: RequestRef, rule: Escalation): void {
  const priority = maxPriority(r.priority, rule.priority);
  const changed = priority !== r.priority || !r.escalated;
  r.priority = priority;
  r.escalated = true;
  if (changed) t.actions.push({ type: "request.update", requestId: r.id, priority, handoff: true });
  t.say(t.texts.msg("request_existing", { request_id: r.id, status: statusWord(t, r) }));
  if (t.ctx.operators) {
    t.s.mode = "human";
    t.s.openRequestId = r.id;
    t.s.humanUntil = t.now + t.ctx.content.config.limits.human_idle_minutes * 60_000;
  }
}

export function createRequest(t: Turn, draft: RequestDraft, handoff: boolean): void {
  const { s } = t;
  const action: Action = { type: "request.create", draft, handoff };
  t.actions.push(action);
  s.requests.push({
    id: NEW_REQUEST,
    intent: draft.intent,
    title: draft.title,
    status: "open",
    priority: draft.priority,
    createdAt: t.now,
    escalated: handoff,
  });
  if (s.requests.length > 20) s.requests.splice(0, s.requests.length - 20);
  s.openRequestId = NEW_REQUEST;
  if (handoff && t.ctx.operators) {
    s.mode = "human";
    s.humanUntil = t.now + t.ctx.content.config.limits.human_idle_minutes * 60_000;
  }
}

/** What the user is told once a person is asked: when, or that nobody can be reached here. */
export function handoffMessage(t: Turn, requestId: string, priority: string): void {
  if (!t.ctx.operators) {
    t.say(t.texts.msg("handoff_no_operators", { request_id: requestId }));
    return;
  }
  const open = isOpen(t.ctx.now, t.texts.schedule);
  if ((open || priority === "urgent") && t.ctx.online === 0) {
    // In hours, but nobody has the console open right now: say so, and when one usually answers.
    t.say(
      t.texts.msg("handoff_nobody_online", {
        request_id: requestId,
        response_time: t.texts.duration(t.responseMinutes()),
      }),
    );
  } else if (open || priority === "urgent") {
    t.say(
      t.texts.msg("handoff_started", { request_id: requestId, response_time: t.texts.duration(t.responseMinutes()) }),
    );
  } else {
    t.say(t.texts.msg("handoff_out_of_hours", { request_id: requestId, next_open: t.texts.nextOpen() }));
  }
}

export function isUrgent(t: Turn, intent: string): boolean {
  return t.ctx.content.config.escalation.rules.some((r) => r.priority === "urgent" && r.when.intents?.includes(intent));
}

/** The user's open request about the same problem (intent), if there is one. */
export function openRequestFor(t: Turn, intent: string): RequestRef | undefined {
  return [...t.s.requests].reverse().find((r) => r.status !== "resolved" && r.intent === intent);
}

export function latestOpen(t: Turn): RequestRef | undefined {
  return [...t.s.requests].reverse().find((r) => r.status !== "resolved");
}
