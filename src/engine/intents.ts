import type { OutboundMessage, QuickReply } from "../ports/message.js";
import type { RequestDraft } from "../ports/requests.js";
import type { RequestRef } from "../ports/session.js";
import { emails, handles, normalizePhone, normalizeUrl, phones, requestIds, urls } from "../text/entities.js";
import { fold } from "../text/normalize.js";
import { type Action, NEW_REQUEST } from "./actions.js";
import type { Turn } from "./engine.js";
import { type Escalation, maxPriority } from "./escalation.js";
import { startForm } from "./form-flow.js";
import { isOpen } from "./hours.js";

/** The user's open request about the same problem (intent), if there is one. */
export function openRequestFor(t: Turn, intent: string): RequestRef | undefined {
  return [...t.s.requests].reverse().find((r) => r.status !== "resolved" && r.intent === intent);
}

function latestOpen(t: Turn): RequestRef | undefined {
  return [...t.s.requests].reverse().find((r) => r.status !== "resolved");
}

/** The reply an intent's flow defines, with its quick replies and buttons. */
export function replyOf(t: Turn, id: string): OutboundMessage | undefined {
  const def = t.intentDef(id);
  if (!def?.reply) return undefined;
  const msg: OutboundMessage = { text: t.texts.fill(t.texts.pick(def.reply)) };
  const qrs = (def.quick_replies ?? []).map((q) => t.quickReply(q)).filter((q): q is QuickReply => !!q);
  if (qrs.length) msg.quickReplies = qrs;
  if (def.buttons?.length) {
    msg.buttons = def.buttons.map((b) => {
      const label = t.texts.pick(b.label);
      if (b.type === "url") return { type: "url" as const, label, url: t.texts.fill(b.url) };
      if (b.type === "phone") return { type: "phone" as const, label, phone: t.texts.fill(b.phone) };
      return { type: "postback" as const, label, payload: b.payload };
    });
  }
  return msg;
}

/**
 * Answer an intent the matcher (or a tapped button) decided on. `rule` is the escalation
 * rule that matched this turn, if any; `text` is what the user wrote.
 */
export function answerIntent(t: Turn, id: string, rule?: Escalation, text = ""): void {
  const { s } = t;
  const def = t.intentDef(id);
  if (!def) return;
  t.intent = id;
  s.lastIntent = id;
  const reply = () => {
    const r = replyOf(t, id);
    if (r)
      t.say(r.text ?? "", {
        ...(r.quickReplies ? { quickReplies: r.quickReplies } : {}),
        ...(r.buttons ? { buttons: r.buttons } : {}),
      });
  };

  switch (def.action) {
    case "verify_official":
      verifyOfficial(t, text);
      return;
    case "ticket_status":
      ticketStatus(t, text);
      return;
    case "handoff":
      escalate(t, rule ?? { rule: "ask_for_person", priority: "normal", collectForm: false }, id, text);
      return;
    case "complaint":
      reply();
      complaint(t, rule, text);
      return;
    case "end_conversation":
      delete s.form;
      reply();
      return;
  }

  const existing = def.form ? openRequestFor(t, id) : undefined;
  if (existing) {
    // One problem, one request: show it and attach what the user just said.
    t.say(t.texts.msg("request_existing", { request_id: existing.id, status: statusWord(t, existing) }));
    if (text) {
      t.actions.push({
        type: "request.append",
        requestId: existing.id,
        line: { from: "user", text, at: t.now },
        mirror: existing.escalated,
      });
    }
    if (rule && !existing.escalated) escalateExisting(t, existing, rule);
    return;
  }
  reply();
  if (rule && rule.collectForm === false) {
    escalate(t, rule, id, text);
    return;
  }
  const formId = typeof rule?.collectForm === "string" ? rule.collectForm : def.form;
  if (formId) startForm(t, formId, id, rule);
}

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

function escalateExisting(t: Turn, r: RequestRef, rule: Escalation): void {
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
  if (open || priority === "urgent") {
    t.say(
      t.texts.msg("handoff_started", { request_id: requestId, response_time: t.texts.duration(t.responseMinutes()) }),
    );
  } else {
    t.say(t.texts.msg("handoff_out_of_hours", { request_id: requestId, next_open: t.texts.nextOpen() }));
  }
}

function isUrgent(t: Turn, intent: string): boolean {
  return t.ctx.content.config.escalation.rules.some((r) => r.priority === "urgent" && r.when.intents?.includes(intent));
}

function verifyOfficial(t: Turn, text: string): void {
  const cfg = t.ctx.content.config;
  const values: { shown: string; key: string }[] = [
    ...phones(text).map((p) => ({ shown: p.startsWith("+84") ? `0${p.slice(3)}` : p, key: `phone:${p}` })),
    ...emails(text).map((e) => ({ shown: e, key: `email:${e}` })),
    ...urls(text).map((u) => ({ shown: u, key: `url:${u}` })),
    ...handles(text.replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, " ")).map((h) => ({
      shown: h,
      key: `handle:${h}`,
    })),
  ];
  if (values.length === 0) {
    t.say(t.texts.msg("verify_ask"));
    return;
  }
  const official = new Map<string, string>();
  for (const c of cfg.channels) {
    const name = t.texts.pick(c.name);
    for (const n of c.numbers ?? []) {
      const p = normalizePhone(n);
      if (p) official.set(`phone:${p}`, name);
    }
    if (c.email) official.set(`email:${c.email.toLowerCase()}`, name);
    if (c.url) official.set(`url:${normalizeUrl(c.url)}`, name);
    for (const h of c.handles ?? []) {
      if (h.startsWith("@")) official.set(`handle:${h.toLowerCase()}`, name);
      else if (h.includes("/")) official.set(`url:${normalizeUrl(h)}`, name);
      else official.set(`handle:@${fold(h.toLowerCase()).replace(/\s+/g, "")}`, name);
    }
  }
  for (const v of values) {
    const channel = official.get(v.key);
    if (channel) t.say(t.texts.msg("verify_official", { value: v.shown, channel }));
    else t.say(t.texts.msg("verify_not_official", { value: v.shown }));
  }
}

function ticketStatus(t: Turn, text: string): void {
  const { s } = t;
  const prefix = t.ctx.content.config.brand.request_prefix;
  const named = requestIds(text, prefix);
  const line = (r: RequestRef) =>
    t.texts.msg("ticket_status_line", {
      request_id: r.id,
      title: r.title,
      status: statusWord(t, r),
      created: new Intl.DateTimeFormat(t.s.lang === "vi" ? "vi-VN" : "en-GB", {
        timeZone: t.ctx.content.config.timezone,
        day: "2-digit",
        month: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
      }).format(new Date(r.createdAt)),
      priority: t.texts.msg(`priority_${r.priority}`),
    });
  if (named.length > 0) {
    // Only the user's own requests: an id that is not theirs gets no details at all.
    for (const id of named) {
      const r = s.requests.find((x) => x.id === id);
      t.say(r ? line(r) : t.texts.msg("ticket_status_not_yours", { request_id: id }));
    }
    return;
  }
  const mine = [...s.requests].reverse();
  if (mine.length === 0) {
    const qr = t.quickReply("ticket.create");
    t.say(t.texts.msg("ticket_status_none"), qr ? { quickReplies: [qr] } : {});
    return;
  }
  const shown = [...mine.filter((r) => r.status !== "resolved"), ...mine.filter((r) => r.status === "resolved")].slice(
    0,
    5,
  );
  t.say(shown.map(line).join("\n"));
}

function complaint(t: Turn, rule: Escalation | undefined, text: string): void {
  const open = latestOpen(t);
  if (!open) {
    const qrs = ["ticket.create", "handoff.human"].map((q) => t.quickReply(q)).filter((q): q is QuickReply => !!q);
    t.say(t.texts.msg("complaint_no_request"), { quickReplies: qrs });
    return;
  }
  t.say(t.texts.msg("complaint_open_request", { request_id: open.id, status: statusWord(t, open) }));
  if (text)
    t.actions.push({
      type: "request.append",
      requestId: open.id,
      line: { from: "user", text, at: t.now },
      mirror: open.escalated,
    });
  if (rule) {
    const priority = maxPriority(open.priority, rule.priority);
    open.priority = priority;
    open.escalated = true;
    t.actions.push({ type: "request.update", requestId: open.id, priority, handoff: true });
    t.say(t.texts.msg("complaint_escalated", { request_id: open.id }));
  }
}
