import { describe, expect, it } from "vitest";
import type { EscalationRule } from "../../src/content/schema.js";
import { EscalationRules, holds, RULE_KINDS, type Signals, type WordLists } from "../../src/engine/escalation.js";
import { newSession } from "../../src/engine/session.js";
import { signals, Turn, type TurnSteps } from "../../src/engine/turn.js";
import { content, engineContext, message, TUESDAY_10H } from "./context.js";

/** The rule kinds as predicates over plain signals: no content, no matcher, no turn. */

const calm: Signals = { fallbackStreak: 0, formFailures: 0, waitedPastResponseTime: false };
const lists: WordLists = { hits: (list, text) => list === "angry" && text.includes("grr") };

describe("the rule kinds", () => {
  it("intents: the turn's intent is one of them", () => {
    expect(RULE_KINDS.intents(["a", "b"], { ...calm, intent: "b" }, lists)).toBe(true);
    expect(RULE_KINDS.intents(["a", "b"], { ...calm, intent: "c" }, lists)).toBe(false);
    expect(RULE_KINDS.intents(["a"], calm, lists)).toBe(false);
    expect(RULE_KINDS.intents([], { ...calm, intent: "a" }, lists)).toBe(false);
  });

  it("fallback_streak and form_failures: at least that many", () => {
    expect(RULE_KINDS.fallback_streak(2, { ...calm, fallbackStreak: 1 }, lists)).toBe(false);
    expect(RULE_KINDS.fallback_streak(2, { ...calm, fallbackStreak: 2 }, lists)).toBe(true);
    expect(RULE_KINDS.fallback_streak(2, { ...calm, fallbackStreak: 3 }, lists)).toBe(true);
    expect(RULE_KINDS.form_failures(2, { ...calm, formFailures: 1 }, lists)).toBe(false);
    expect(RULE_KINDS.form_failures(2, { ...calm, formFailures: 2 }, lists)).toBe(true);
  });

  it("words: the user's text hits the named list", () => {
    expect(RULE_KINDS.words("angry", { ...calm, text: "grr!" }, lists)).toBe(true);
    expect(RULE_KINDS.words("angry", { ...calm, text: "hello" }, lists)).toBe(false);
    expect(RULE_KINDS.words("fraud", { ...calm, text: "grr!" }, lists)).toBe(false);
    expect(RULE_KINDS.words("angry", calm, lists)).toBe(false);
  });

  it("waited_past_response_time: true asks for it, false asks for nothing", () => {
    expect(RULE_KINDS.waited_past_response_time(true, calm, lists)).toBe(false);
    expect(RULE_KINDS.waited_past_response_time(true, { ...calm, waitedPastResponseTime: true }, lists)).toBe(true);
    expect(RULE_KINDS.waited_past_response_time(false, calm, lists)).toBe(true);
  });

  it("a rule holds when every one of its conditions does", () => {
    const when = { intents: ["complaint.waiting"], waited_past_response_time: true };
    expect(holds(when, { ...calm, intent: "complaint.waiting" }, lists)).toBe(false);
    expect(holds(when, { ...calm, intent: "complaint.waiting", waitedPastResponseTime: true }, lists)).toBe(true);
    expect(holds(when, { ...calm, waitedPastResponseTime: true }, lists)).toBe(false);
  });

  it("covers every condition the schema allows", () => {
    const when: Required<EscalationRule["when"]> = {
      intents: ["x"],
      fallback_streak: 1,
      form_failures: 1,
      words: "angry",
      waited_past_response_time: true,
    };
    expect(Object.keys(RULE_KINDS).sort()).toEqual(Object.keys(when).sort());
    const all: Signals = { intent: "x", fallbackStreak: 1, formFailures: 1, text: "grr", waitedPastResponseTime: true };
    expect(holds(when, all, lists)).toBe(true);
    // Each condition on its own can stop the rule.
    for (const broken of [
      { intent: "y" },
      { fallbackStreak: 0 },
      { formFailures: 0 },
      { text: "calm" },
      { waitedPastResponseTime: false },
    ]) {
      expect(holds(when, { ...all, ...broken }, lists), JSON.stringify(broken)).toBe(false);
    }
  });
});

describe("evaluating rules in order", () => {
  const rule = (id: string, when: EscalationRule["when"]): EscalationRule => ({
    id,
    when,
    priority: "normal",
    collect_form: false,
  });
  const rules = new EscalationRules(
    [rule("failed", { form_failures: 2 }), rule("angry", { words: "angry" }), rule("streak", { fallback_streak: 2 })],
    { angry: ["bực mình", "furious"] },
  );

  it("the first rule that holds wins", () => {
    expect(rules.evaluate({ ...calm, formFailures: 2, text: "bực mình" })?.rule).toBe("failed");
    expect(rules.evaluate({ ...calm, text: "buc minh qua" })?.rule).toBe("angry");
    expect(rules.evaluate({ ...calm, fallbackStreak: 2 })?.rule).toBe("streak");
    expect(rules.evaluate(calm)).toBeUndefined();
  });

  it("`only` tries just the rules that have a condition of that kind", () => {
    const s = { ...calm, formFailures: 2, fallbackStreak: 2, text: "I am furious" };
    expect(rules.evaluate(s, "words")?.rule).toBe("angry");
    expect(rules.evaluate(s, "fallback_streak")?.rule).toBe("streak");
    expect(rules.evaluate({ ...s, text: "fine" }, "words")).toBeUndefined();
  });
});

describe("signals()", () => {
  const steps: TurnSteps = { decide: () => undefined, startForm: () => undefined };
  const ctx = engineContext();

  it("reads the counters from the session and the caller's facts from the overrides", () => {
    const session = { ...newSession(), fallbackStreak: 1, formFailures: 2 };
    const t = new Turn(ctx, session, message("x"), steps);
    expect(signals(t)).toEqual({ fallbackStreak: 1, formFailures: 2, waitedPastResponseTime: false });
    expect(signals(t, { intent: "thanks", text: "cảm ơn" })).toEqual({
      intent: "thanks",
      text: "cảm ơn",
      fallbackStreak: 1,
      formFailures: 2,
      waitedPastResponseTime: false,
    });
  });

  it("knows when the oldest open request has waited past the channel's response time", () => {
    const now = TUESDAY_10H.getTime();
    const minutes = content.config.channels.find((c) => c.serves?.includes("cli"))?.response_minutes ?? 60;
    const ref = (createdAt: number, status: "open" | "resolved" = "open") => ({
      id: "HT-1",
      intent: "ticket.create",
      title: "t",
      status,
      priority: "normal" as const,
      createdAt,
      escalated: false,
    });
    const waited = (...requests: ReturnType<typeof ref>[]) =>
      signals(new Turn(ctx, { ...newSession(), requests }, message("x"), steps)).waitedPastResponseTime;
    expect(waited()).toBe(false);
    expect(waited(ref(now - (minutes - 1) * 60_000))).toBe(false);
    expect(waited(ref(now - (minutes + 1) * 60_000))).toBe(true);
    expect(waited(ref(now - (minutes + 1) * 60_000, "resolved"))).toBe(false);
  });
});
