import type { EscalationRule } from "../content/schema.js";
import type { Priority } from "../ports/vocabulary.js";
import { canon, fold } from "../text/normalize.js";

/** What the rules look at after a turn (built by `signals()` in `turn.ts`). */
export interface Signals {
  intent?: string;
  fallbackStreak: number;
  formFailures: number;
  text?: string;
  /** The user's oldest open request has waited longer than the channel's usual response time. */
  waitedPastResponseTime: boolean;
}

export interface Escalation {
  rule: string;
  priority: Priority;
  /** `true`: the intent's own form; a string: that form; `false`: escalate now. */
  collectForm: boolean | string;
}

const PRIORITY_ORDER: Priority[] = ["low", "normal", "high", "urgent"];
export const maxPriority = (a: Priority, b: Priority): Priority =>
  PRIORITY_ORDER.indexOf(a) >= PRIORITY_ORDER.indexOf(b) ? a : b;

/** The conditions a rule's `when` may hold (`config/escalation.yaml`). */
export type When = EscalationRule["when"];
export type RuleKind = keyof When;

/** The compiled word lists, for the `words` condition. */
export interface WordLists {
  hits(list: string, text: string): boolean;
}

/**
 * One predicate per rule kind, over the turn's signals (grammY's composer predicates,
 * EXAMPLES.md). The mapped type makes this table complete: a new field in the schema's
 * `when` does not compile until it has its entry here.
 */
export const RULE_KINDS: {
  [K in RuleKind]-?: (value: NonNullable<When[K]>, s: Signals, lists: WordLists) => boolean;
} = {
  intents: (intents, s) => s.intent !== undefined && intents.includes(s.intent),
  fallback_streak: (n, s) => s.fallbackStreak >= n,
  form_failures: (n, s) => s.formFailures >= n,
  words: (list, s, lists) => s.text !== undefined && lists.hits(list, s.text),
  // `false` asks for nothing.
  waited_past_response_time: (wanted, s) => !wanted || s.waitedPastResponseTime,
};

/** Whether every condition of a rule holds. */
export function holds(when: When, s: Signals, lists: WordLists): boolean {
  return (Object.keys(RULE_KINDS) as RuleKind[]).every((kind) => {
    const value = when[kind];
    if (value === undefined) return true;
    return (RULE_KINDS[kind] as (v: unknown, s: Signals, lists: WordLists) => boolean)(value, s, lists);
  });
}

/**
 * Escalation rules from `config/escalation.yaml`, compiled once. A rule matches when all
 * of its conditions hold; the first matching rule wins (like grammY's `route` with a
 * fallback, EXAMPLES.md).
 */
export class EscalationRules implements WordLists {
  private readonly lists = new Map<string, RegExp>();

  constructor(
    private readonly rules: readonly EscalationRule[],
    wordLists: Record<string, readonly string[]>,
  ) {
    for (const [name, words] of Object.entries(wordLists)) {
      // Words match folded and on word boundaries, so "lua dao" finds "lừa đảo" and "scam" not "scampi".
      const alts = [...new Set(words.map((w) => escapeRegExp(fold(canon(w)))))].sort((a, b) => b.length - a.length);
      this.lists.set(name, new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join("|")})(?![\\p{L}\\p{N}])`, "u"));
    }
  }

  /** The compiled word lists (for the linear-pattern check in the tests). */
  patterns(): RegExp[] {
    return [...this.lists.values()];
  }

  /** Whether a text hits a word list (used for wording-based rules). */
  hits(list: string, text: string): boolean {
    return this.lists.get(list)?.test(fold(canon(text))) ?? false;
  }

  /**
   * The first rule whose conditions all hold. With `only`, just the rules that have a
   * condition of that kind are tried (a form that failed looks at the `form_failures` rules).
   */
  evaluate(s: Signals, only?: RuleKind): Escalation | undefined {
    for (const rule of this.rules) {
      if (only && rule.when[only] === undefined) continue;
      if (!holds(rule.when, s, this)) continue;
      return { rule: rule.id, priority: rule.priority, collectForm: rule.collect_form };
    }
    return undefined;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
}
