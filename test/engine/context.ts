import type { MessageKey } from "../../src/content/schema.js";
import { EscalationRules } from "../../src/engine/escalation.js";
import { Texts } from "../../src/engine/template.js";
import type { EngineContext } from "../../src/engine/turn.js";
import { matcherFor } from "../../src/nlu/train.js";
import type { InboundEvent } from "../../src/ports/message.js";
import type { Lang } from "../../src/ports/vocabulary.js";
import { shippedContent } from "../helpers/content.js";

/** A Tuesday at 10:00 in Hanoi: inside support hours. */
export const TUESDAY_10H = new Date("2026-11-24T03:00:00Z");
/** The same Tuesday at 23:00 in Hanoi: closed. */
export const TUESDAY_23H = new Date("2026-11-24T16:00:00Z");

export const content = shippedContent();
const matcher = matcherFor(content);
const rules = new EscalationRules(content.config.escalation.rules, content.config.escalation.word_lists);

/** What `handle()` is given: the shipped content, the matcher trained once, a fixed clock. */
export function engineContext(over: Partial<EngineContext> = {}): EngineContext {
  return { content, matcher, rules, now: TUESDAY_10H, operators: false, ...over };
}

let seq = 0;

/** A user's message on the terminal channel. */
export function message(text: string | undefined, extra: Partial<InboundEvent> = {}): InboundEvent {
  const e: InboundEvent = {
    id: `cli:${++seq}`,
    channel: "cli",
    userId: "u",
    timestamp: TUESDAY_10H.getTime(),
    kind: "message",
    ...extra,
  };
  if (text !== undefined) e.text = text;
  return e;
}

/** A tapped quick reply or button. */
export const tap = (payload: string, text?: string): InboundEvent => message(text, { kind: "postback", payload });

/** A message from `flows/messages.yaml`, filled as the engine fills it. */
export function says(key: MessageKey, extra: Record<string, string | number> = {}, lang: Lang = "vi"): string {
  return new Texts(content, lang, TUESDAY_10H).msg(key, extra);
}

/** An intent's reply from `flows/`, filled as the engine fills it. */
export function answer(intent: string, lang: Lang = "vi"): string {
  const t = new Texts(content, lang, TUESDAY_10H);
  const reply = content.flows.intents[intent]?.reply;
  if (!reply) throw new Error(`intent ${intent} has no reply`);
  return t.fill(t.pick(reply));
}
