import { describe, expect, it } from "vitest";
import { CHOICE_NUMBER, handle } from "../../src/engine/engine.js";
import { EscalationRules } from "../../src/engine/escalation.js";
import { analyse, PLACEHOLDERS, withPlaceholders } from "../../src/nlu/features.js";
import { Lexicon } from "../../src/nlu/lexicon.js";
import { Matcher } from "../../src/nlu/matcher.js";
import { SCOPE_PATTERNS } from "../../src/nlu/scope.js";
import { amounts, ENTITY_PATTERNS, emails, handles, phones, requestIds, times, urls } from "../../src/text/entities.js";
import { canon, fold, foldMapped, MAX_TEXT_CHARS, NORMALIZE_PATTERNS, tokens } from "../../src/text/normalize.js";
import { maskSecrets, SECRET_PATTERNS } from "../../src/text/secrets.js";
import { shippedContent } from "../helpers/content.js";
import { lintRegex } from "../helpers/regex-lint.js";

/**
 * Long input must cost linear time (issue 12, §5a). Nothing here is timed: the patterns on
 * the hot path are checked for the constructs that make a backtracking engine
 * super-linear, and the functions are run on the inputs that used to take seconds.
 */

describe("the regex checker", () => {
  it("flags the shapes that go quadratic or worse", () => {
    const bad = [
      /(a+)+$/,
      /(\w+\s?)*$/,
      /\d+\s*\d+x/,
      /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gu, // the old e-mail pattern
      /^\s*(\d{1,2})\s*[.)]?\s*$/, // the old numbered-choice pattern
      /(\d+|mot|hai)\s*(phut|ngay)/u, // the old "2 hours ago" pattern
      /[).,!?;:]+$/u,
      /x[a-z]+@/g,
    ];
    for (const re of bad) expect(lintRegex(re), re.source).not.toEqual([]);
  });

  it("passes the linear shapes", () => {
    const good = [
      /(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gu,
      /(\p{L})\1{2,}/gu,
      /[\p{L}\p{N}]+/gu,
      /\d(?:[ .-]?\d)*/uy,
      /\bwww\.[^\s]+/giu,
      /(?<![).,!?;:])[).,!?;:]+$/u,
    ];
    for (const re of good) expect(lintRegex(re), re.source).toEqual([]);
  });
});

describe("hot-path patterns are linear", () => {
  const content = shippedContent();
  const rules = new EscalationRules(content.config.escalation.rules, content.config.escalation.word_lists);
  const groups: [string, readonly RegExp[]][] = [
    ["normalize", NORMALIZE_PATTERNS],
    ["entities", ENTITY_PATTERNS],
    ["features", PLACEHOLDERS.map(([re]) => re)],
    ["scope", SCOPE_PATTERNS],
    ["secrets", SECRET_PATTERNS],
    ["escalation word lists", rules.patterns()],
    ["engine", [CHOICE_NUMBER]],
  ];
  it.each(groups)("%s", (_name, patterns) => {
    expect(patterns.length).toBeGreaterThan(0);
    for (const re of patterns) expect(lintRegex(re), re.source).toEqual([]);
  });
});

const ADVERSARIAL: Record<string, string> = {
  "a × 50,000": "a".repeat(50_000),
  "a. × 20,000": "a.".repeat(20_000),
  "1 × 50,000": "1".repeat(50_000),
  "㎉ × 20,000": "㎉".repeat(20_000),
  "a@ × 20,000": "a@".repeat(20_000),
  "ab × 25,000": "ab".repeat(25_000),
  "a1_ × 16,000": "a1_".repeat(16_000),
  "1 (spaced) × 25,000": "1 ".repeat(25_000),
  "ﷺ × 5,000": "ﷺ".repeat(5_000),
  "a link ending in 40,000 dots": `http://a${".".repeat(40_000)}x`,
  "1.000 × 10,000": "1.000".repeat(10_000),
  "otp / mk × 8,000": "otp mk la ".repeat(8_000),
};

describe("functions return on adversarial input", () => {
  const content = shippedContent();
  const clock = { now: new Date("2026-11-24T03:00:00Z"), timeZone: "Asia/Ho_Chi_Minh" };
  const lexicon = new Lexicon(content.flows.lexicon);
  // A small model: the code paths (features, spelling, language cues) are the shipped ones.
  const matcher = Matcher.train(
    [
      { id: "greeting", examples: { vi: ["xin chào", "chào shop"], en: ["hello", "hi there"] } },
      { id: "account.locked", examples: { vi: ["tài khoản bị khoá", "tk bị khóa rồi"], en: ["my account is locked"] } },
    ],
    content.flows.lexicon,
  );
  const rules = new EscalationRules(content.config.escalation.rules, content.config.escalation.word_lists);

  // Returning at all is the point (the test's timeout is the bound); what each returns is
  // also held to the clipped input's size, so a blow-up in output shows too.
  it.each(Object.entries(ADVERSARIAL))("%s", (_name, text) => {
    expect(canon(text).length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(tokens(fold(canon(text))).length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(foldMapped(text).text.length).toBeGreaterThan(0);
    expect(maskSecrets(text).text.length).toBeGreaterThan(0);
    for (const fn of [emails, phones, handles, urls, amounts, (t: string) => requestIds(t)])
      expect(fn(text).length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(times(text, clock).length).toBeLessThanOrEqual(1);
    expect(withPlaceholders(text).length).toBeLessThanOrEqual(MAX_TEXT_CHARS * 4);
    expect(analyse(text, { lexicon }).folded.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(["answer", "clarify", "fallback"]).toContain(matcher.match(text).zone);
    matcher.language(text);
    matcher.scores(text);
    rules.hits("angry", text);
    const r = handle({ id: "x", channel: "cli", userId: "u", timestamp: 0, kind: "message", text }, undefined, {
      content,
      matcher,
      rules,
      now: clock.now,
      operators: false,
    });
    expect(r.actions.length).toBeGreaterThan(0);
  });
});
