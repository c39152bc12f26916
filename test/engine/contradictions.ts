import { expect } from "vitest";
import type { MessageKey } from "../../src/content/schema.js";
import type { Action } from "../../src/engine/actions.js";
import { type EngineResult, handleControl as engineControl, handle as engineHandle } from "../../src/engine/engine.js";
import { Texts } from "../../src/engine/template.js";
import type { EngineContext } from "../../src/engine/turn.js";
import type { ControlEvent } from "../../src/ports/control.js";
import type { InboundEvent, OutboundMessage } from "../../src/ports/message.js";
import type { Session } from "../../src/ports/session.js";
import { content, TUESDAY_10H, TUESDAY_23H } from "./context.js";

/**
 * Two outcomes that cannot both be true in one turn: "cancelled, nothing filed" next to a
 * filed request, a fallback next to an answer, "would you like a person?" while one is
 * already being asked, two requests filed at once… Every action list the engine tests
 * produce goes through `contradictions()`: they call `handle` and `handleControl` from here.
 */

/** `handle()`, and no contradiction in what it decided. */
export function handle(event: InboundEvent, session: Session | undefined, ctx: EngineContext): EngineResult {
  const r = engineHandle(event, session, ctx);
  expect(contradictions(r.actions), `contradictions after "${event.text ?? event.payload ?? event.kind}"`).toEqual([]);
  return r;
}

/** `handleControl()`, and no contradiction in what it decided. */
export function handleControl(event: ControlEvent, session: Session | undefined, ctx: EngineContext): EngineResult {
  const r = engineControl(event, session, ctx);
  expect(contradictions(r.actions), `contradictions after ${event.kind}`).toEqual([]);
  return r;
}

type Kind = "nothing_filed" | "fallback" | "asks_person" | "did_you_mean" | "handoff" | "answer";

const KINDS: [Kind, MessageKey[]][] = [
  ["nothing_filed", ["form_cancelled", "form_cancelled_person"]],
  ["fallback", ["fallback", "fallback_again", "fallback_other_service", "fallback_instructions"]],
  ["asks_person", ["fallback_again"]],
  ["did_you_mean", ["did_you_mean"]],
  ["handoff", ["handoff_started", "handoff_out_of_hours", "handoff_no_operators"]],
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A message template as a pattern: its placeholders stand for anything. */
function pattern(template: string): RegExp {
  const parts = template.split(/\{[a-z_]+\}/g).map(escapeRegExp);
  return new RegExp(`^${parts.join("[\\s\\S]*?")}$`);
}

const texts = [TUESDAY_10H, TUESDAY_23H].flatMap((at) => [new Texts(content, "vi", at), new Texts(content, "en", at)]);
const templates: [Kind, RegExp][] = KINDS.flatMap(([kind, keys]) =>
  keys.flatMap((key) =>
    (["vi", "en"] as const).map((l) => [kind, pattern(content.flows.messages[key][l])] as [Kind, RegExp]),
  ),
);
/** Every intent's reply, filled as the engine fills it, in both languages and at both test clocks. */
const answers = new Set(
  Object.values(content.flows.intents).flatMap((i) =>
    i.reply ? texts.map((t) => t.fill(t.pick(i.reply ?? { vi: "", en: "" }))) : [],
  ),
);

/** What one reply says, as far as contradictions go. */
export function kindsOf(message: OutboundMessage): Set<Kind> {
  const text = message.text ?? "";
  const out = new Set<Kind>();
  for (const [kind, re] of templates) if (re.test(text)) out.add(kind);
  if (answers.has(text)) out.add("answer");
  return out;
}

/** What is contradictory in one turn's replies (usable on what a channel received, too). */
export function contradictoryReplies(messages: readonly OutboundMessage[]): string[] {
  const problems: string[] = [];
  const said = new Set<Kind>();
  for (const m of messages) {
    if (!m.text?.trim() && !m.image) problems.push("a message with nothing to read");
    for (const k of kindsOf(m)) said.add(k);
    if (kindsOf(m).has("did_you_mean") && !m.quickReplies?.length) problems.push('"did you mean" without choices');
  }
  if (said.has("fallback") && said.has("answer")) problems.push("a fallback and an answer");
  if (said.has("did_you_mean") && (said.has("answer") || said.has("fallback")))
    problems.push('"did you mean" next to an answer or a fallback');
  if (said.has("nothing_filed") && said.has("handoff")) problems.push('"nothing filed" next to a hand-off');
  if (said.has("asks_person") && said.has("handoff")) problems.push('"would you like a person?" while handing over');
  return problems;
}

/** What is contradictory in one turn's actions. */
export function contradictions(actions: readonly Action[]): string[] {
  const replies = actions.flatMap((a) => (a.type === "reply" ? [a.message] : []));
  const problems = contradictoryReplies(replies);
  const said = new Set(replies.flatMap((m) => [...kindsOf(m)]));
  const creates = actions.filter((a) => a.type === "request.create");
  const handsOver = actions.some(
    (a) => (a.type === "request.create" && a.handoff) || (a.type === "request.update" && a.handoff === true),
  );
  if (creates.length > 1) problems.push("two requests filed in one turn");
  if (creates.length > 0 && said.has("nothing_filed")) problems.push('"nothing filed" and a request filed');
  if (said.has("asks_person") && handsOver) problems.push('"would you like a person?" and a person asked');
  if (said.has("handoff") && !handsOver) problems.push("a hand-off message without a hand-off");
  if (creates.length > 0) {
    const elsewhere = actions.some((a) => a.type === "request.append" && a.requestId !== "$new");
    if (elsewhere) problems.push("a request filed and the words added to another one");
  }
  return problems;
}
