import type { OutboundMessage, QuickReply } from "../ports/message.js";
import type { RequestRef } from "../ports/session.js";
import { emails, handles, namedRequests, normalizePhone, normalizeUrl, phones, urls } from "../text/entities.js";
import { fold } from "../text/normalize.js";
import { type Escalation, maxPriority } from "./escalation.js";
import { businessMinutes, scheduleOf } from "./hours.js";
import { dataRequest, withdrawConsent } from "./privacy.js";
import {
  aboutRequest,
  addToRequest,
  escalate,
  escalateExisting,
  latestOpen,
  openRequestFor,
  problemOf,
  statusWord,
  titleOf,
} from "./requests.js";
import type { Turn } from "./turn.js";

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
 * rule that matched this turn, if any; `text` is what the user wrote. `fresh`: the user said
 * this is a new problem, so an open request about the same one is not reused.
 */
export function answerIntent(t: Turn, id: string, rule?: Escalation, text = "", fresh = false): void {
  const { session } = t;
  const def = t.intentDef(id);
  if (!def) return;
  t.intent = id;
  session.lastIntent = id;
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
      // Asking for a person always reaches one: the open request goes to people, or a new one.
      escalate(
        t,
        rule ?? { rule: "ask_for_person", priority: "normal", collectForm: false },
        id,
        text,
        {},
        {
          person: true,
        },
      );
      return;
    case "complaint":
      reply();
      complaint(t, rule, text);
      return;
    case "end_conversation":
      delete session.form;
      reply();
      return;
    case "data_request":
      dataRequest(t, id);
      return;
    case "consent_withdraw":
      withdrawConsent(t);
      return;
  }

  if (def.form && !fresh && !isNewProblem(t, text)) {
    if (problemOf(id) === undefined) {
      // "I want to file a request" with one open: add to it, or another problem?
      const open = latestOpen(t);
      if (open) {
        offerAddOrNew(t, open, id);
        return;
      }
    } else {
      // One problem, one request: what the user says about it goes to its open request.
      const existing = openRequestFor(t, id);
      if (existing) {
        addToRequest(t, existing, text, id);
        if (rule && !existing.escalated) escalateExisting(t, existing, rule);
        return;
      }
    }
  }
  reply();
  if (rule && rule.collectForm === false) {
    escalate(t, rule, id, text);
    return;
  }
  const formId = typeof rule?.collectForm === "string" ? rule.collectForm : def.form;
  if (formId) t.steps.startForm(t, formId, id, rule);
}

/** The user says this is another problem ("vấn đề khác", "new issue"): it gets its own request. */
function isNewProblem(t: Turn, text: string): boolean {
  return !!text && t.ctx.matcher.says("new_problem", text);
}

function offerAddOrNew(t: Turn, open: RequestRef, intent: string): void {
  const choices = [
    t.quickReply({ label: t.ctx.content.flows.messages.request_choice_add, payload: `attach:${open.id}` }),
    t.quickReply({ label: t.ctx.content.flows.messages.request_choice_new, payload: `new:${intent}` }),
  ]
    .filter((q): q is QuickReply => !!q)
    .map((q) => ({ ...q, label: q.label.replace("{request_id}", open.id) }));
  t.say(t.texts.msg("request_choose", aboutRequest(t, open)), { quickReplies: choices });
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
  const { session } = t;
  const prefix = t.ctx.content.config.brand.request_prefix;
  // "HT-000123", and a bare number named as a request ("phiếu hỗ trợ số 10293").
  const named = namedRequests(text, prefix);
  const line = (r: RequestRef) =>
    t.texts.msg("ticket_status_line", {
      request_id: r.id,
      title: titleOf(t, r),
      status: statusWord(t, r),
      created: t.texts.dateTime(r.createdAt),
      priority: t.texts.msg(`priority_${r.priority}`),
    });
  if (named.length > 0) {
    // Only the user's own requests: an id that is not theirs gets no details at all.
    for (const id of named) {
      const r = session.requests.find((x) => x.id === id);
      t.say(r ? line(r) : t.texts.msg("ticket_status_not_yours", { request_id: id }));
    }
    return;
  }
  const mine = [...session.requests].reverse();
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
  const said = [t.texts.msg("complaint_open_request", { request_id: open.id, status: statusWord(t, open) })];
  if (open.escalated && open.status !== "resolved" && !open.personReplied) {
    // The real figures: business time waited so far for a person's first answer, against
    // the promise for its priority (once a person answered, that wait is over).
    const c = t.ctx.content.config;
    const waited = Math.round(businessMinutes(open.createdAt, t.now, scheduleOf(c)));
    const target = c.sla.targets[open.priority].first_response_minutes;
    said.push(t.texts.msg("complaint_waited", { waited: t.texts.duration(waited), target: t.texts.duration(target) }));
  }
  t.say(said.join(" "));
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
