import { REQUEST_NUMBER } from "../text/entities.js";
import { canon, fold, hasVietnameseMarks, squeezeDoubles, tokens, toneKey } from "../text/normalize.js";
import type { Lexicon } from "./lexicon.js";
import type { SpellIndex } from "./spell.js";

/**
 * Turns a message into sparse features (matching.md §0): folded unigrams and bigrams,
 * accented unigrams (tone-placement independent), char 3–5-grams of folded tokens, plus
 * lexicon expansions and spelling corrections added next to the original tokens.
 */

/**
 * Entities become class tokens: "số 0912345678" and "số 0987654321" are the same question.
 * Linear patterns only (test/unit/regex-linear.test.ts): the e-mail's local part starts
 * where a run of its characters starts, or a long run with no "@" is scanned again from
 * each of its characters.
 */
export const PLACEHOLDERS: readonly [RegExp, string][] = [
  [/(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gu, " qqemail "],
  [/\b(?:https?:\/\/\S+|(?:www\.)?(?:facebook\.com|fb\.com|fb\.me|m\.me|t\.me|zalo\.me)\/\S+|www\.\S+)/gu, " qqurl "],
  [/(?<![\p{L}\p{N}])@[a-z][a-z0-9_.]{2,31}/gu, " qqhandle "],
  [/(?<![\p{L}\p{N}])[a-z]{1,6}-\d{3,9}(?!\p{N})/gu, " qqreqid "],
  [/(?<![\p{N}])\+?\d[\d .-]{7,14}\d(?!\p{N})/gu, " qqphone "],
  // A request named by its number alone: "phiếu hỗ trợ số 10293", "ticket 4521".
  [REQUEST_NUMBER, " qqreqid "],
];

export interface Analysed {
  /** Folded tokens as typed (particles removed unless nothing else is left). */
  folded: string[];
  /** Folded tokens with abbreviations expanded and typos corrected, in order. */
  expanded: string[];
  /** Tone keys of tokens typed with diacritics. */
  accented: string[];
  /** Tokens that were neither known nor correctable: a hint that the message is out of scope. */
  unknown: number;
}

export interface FeatureContext {
  lexicon: Lexicon;
  /** Known folded tokens, for spelling correction; absent while the vocabulary is being built. */
  spell?: SpellIndex;
}

/** Canonical text with emails, links, handles, ids and phone numbers replaced by class tokens. */
/**
 * What a placeholder pattern needs in the text before it is worth running: a pattern that
 * starts with a lookbehind is tried at every position, so it is skipped when the text has no
 * run of digits for it to find (most messages).
 */
export const PLACEHOLDER_NEEDS: ReadonlyMap<RegExp, RegExp> = new Map([[REQUEST_NUMBER, /\d{3}/]]);

export function withPlaceholders(text: string): string {
  let c = canon(text);
  for (const [re, token] of PLACEHOLDERS) {
    if (PLACEHOLDER_NEEDS.get(re)?.test(c) === false) continue;
    c = c.replace(re, token);
  }
  return c;
}

export function analyse(text: string, ctx: FeatureContext): Analysed {
  const c = withPlaceholders(text);
  const raw = tokens(c);
  const rawFolded = raw.map((t) => fold(t));
  const particle = rawFolded.map((f) => ctx.lexicon.particles.has(f));
  const keepAll = particle.every(Boolean);
  const folded: string[] = [];
  const expanded: string[] = [];
  const accented: string[] = [];
  let unknown = 0;
  for (const [i, t] of raw.entries()) {
    if (particle[i] && !keepAll) continue;
    // A context reading replaces the token ("tk ơi": thằng, a mate, not tài khoản).
    const reading = ctx.lexicon.readingIn(rawFolded[i] ?? "", rawFolded[i - 1], rawFolded[i + 1]);
    if (reading) {
      for (const r of reading) {
        folded.push(fold(r));
        expanded.push(fold(r));
        if (hasVietnameseMarks(r)) accented.push(toneKey(r));
      }
      continue;
    }
    let f = rawFolded[i] ?? fold(t);
    if (ctx.spell && !ctx.spell.known(f) && !ctx.lexicon.has(f)) {
      const squeezed = squeezeDoubles(f);
      if (squeezed !== f && (ctx.spell.known(squeezed) || ctx.lexicon.has(squeezed))) f = squeezed;
    }
    const fix =
      ctx.spell && !ctx.spell.known(f) && !ctx.lexicon.has(f) && !/^\d+$/.test(f) ? ctx.spell.correct(f) : undefined;
    if (fix) f = fix; // a typo counts as the word it was meant to be, char n-grams included
    folded.push(f);
    if (hasVietnameseMarks(t) && !fix) accented.push(toneKey(t));
    const exp = ctx.lexicon.expand(f);
    if (exp?.[0]) {
      // The first reading goes into the sequence (bigrams); every reading adds unigrams.
      expanded.push(...exp[0].map(fold));
      for (const alt of exp.slice(1)) for (const a of alt) expanded.push(`~${fold(a)}`);
      continue;
    }
    if (ctx.spell && !ctx.spell.known(f) && !/^\d+$/.test(f)) unknown++;
    expanded.push(f);
  }
  return { folded, expanded, accented, unknown };
}

/** Relative weight of each feature family before TF-IDF normalisation. */
const W_UNI = 1;
const W_BI = 1;
const W_ACC = 0.6;
const W_CHAR = 0.35;

/** Raw term weights of one message, keyed by feature name. */
export function featureCounts(a: Analysed): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, w: number) => out.set(k, (out.get(k) ?? 0) + w);
  const seq = a.expanded.filter((t) => !t.startsWith("~"));
  const unis = new Set<string>();
  for (const t of a.folded) unis.add(t);
  for (const t of a.expanded) unis.add(t.startsWith("~") ? t.slice(1) : t);
  for (const t of unis) add(`u:${t}`, W_UNI);
  for (let i = 0; i + 1 < seq.length; i++) add(`b:${seq[i]}_${seq[i + 1]}`, W_BI);
  for (let i = 0; i + 1 < a.folded.length; i++) {
    const k = `b:${a.folded[i]}_${a.folded[i + 1]}`;
    if (!out.has(k)) add(k, W_BI);
  }
  for (const t of a.accented) add(`a:${t}`, W_ACC);
  for (const t of a.folded) {
    if (t.startsWith("qq")) continue;
    const s = `<${t}>`;
    for (let n = 3; n <= 5; n++) {
      for (let i = 0; i + n <= s.length; i++) add(`c:${s.slice(i, i + n)}`, W_CHAR);
    }
  }
  return out;
}
