import type { EscalationRule } from "../content/schema.js";
import type { Priority } from "../ports/vocabulary.js";
import { canon, fold } from "../text/normalize.js";

/** What the rules look at after a turn. */
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

/**
 * Escalation rules from `config/escalation.yaml`, compiled once. A rule matches when all
 * of its conditions hold; the first matching rule wins (like grammY's `route` with a
 * fallback, EXAMPLES.md).
 */
export class EscalationRules {
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

  /** The word list a text hits, if any (used for wording-based rules). */
  hits(list: string, text: string): boolean {
    return this.lists.get(list)?.test(fold(canon(text))) ?? false;
  }

  evaluate(s: Signals): Escalation | undefined {
    for (const rule of this.rules) {
      const w = rule.when;
      if (w.intents && !(s.intent && w.intents.includes(s.intent))) continue;
      if (w.fallback_streak !== undefined && s.fallbackStreak < w.fallback_streak) continue;
      if (w.form_failures !== undefined && s.formFailures < w.form_failures) continue;
      if (w.words && !(s.text && this.hits(w.words, s.text))) continue;
      if (w.waited_past_response_time && !s.waitedPastResponseTime) continue;
      return { rule: rule.id, priority: rule.priority, collectForm: rule.collect_form };
    }
    return undefined;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
}
