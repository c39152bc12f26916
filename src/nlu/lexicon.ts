import type { Lexicon as LexiconData } from "../content/schema.js";
import { canon, fold, hasVietnameseMarks, tokens, toneKey } from "../text/normalize.js";

/**
 * The domain abbreviation dictionary (`flows/lexicon.yaml`). Keys are looked up folded, so
 * `đc` and `dc` are one entry; expansions are kept as token lists in both channels.
 */
export class Lexicon {
  /** folded token → expansions, each a list of canonical tokens. */
  private readonly expansions = new Map<string, string[][]>();
  /**
   * Accented phrase ("tài khoản", as tone keys) → the short forms users write for it ("tk").
   * Keyed accented, not folded: folded, "ảnh" would become "a" and "bán" "bn".
   */
  private readonly contractions = new Map<string, string[]>();
  /** Keys that stand for Vietnamese words (teencode), a cue for the reply language. */
  readonly vietnameseKeys = new Set<string>();
  readonly particles: Set<string>;
  /** folded token → readings that replace it next to certain (folded) words. */
  private readonly readings = new Map<string, { as: string[]; before: Set<string>; after: Set<string> }[]>();

  constructor(data: LexiconData | undefined) {
    this.particles = new Set((data?.particles ?? []).map((p) => fold(canon(p))));
    for (const [key, list] of Object.entries(data?.readings ?? {})) {
      this.readings.set(
        fold(canon(key)),
        list.map((r) => ({
          as: tokens(canon(r.as)),
          before: new Set(r.before.map((w) => fold(canon(w)))),
          after: new Set(r.after.map((w) => fold(canon(w)))),
        })),
      );
    }
    for (const [key, values] of Object.entries(data?.abbreviations ?? {})) {
      const k = fold(canon(key));
      const list = this.expansions.get(k) ?? [];
      for (const v of values) {
        const toks = tokens(canon(v));
        if (toks.length === 0) continue;
        list.push(toks);
        const phrase = toks.map(toneKey).join(" ");
        if (hasVietnameseMarks(v) && /^[a-z]{1,4}$/.test(k)) this.vietnameseKeys.add(k);
        if (fold(phrase) !== k && hasVietnameseMarks(v) && /^[a-z]{1,4}$/.test(k)) {
          const shorts = this.contractions.get(phrase) ?? [];
          if (!shorts.includes(k)) shorts.push(k);
          this.contractions.set(phrase, shorts);
        }
      }
      this.expansions.set(k, list);
    }
  }

  /**
   * The reading a token takes between these neighbours (folded), if one of its context
   * readings applies: "tk" before "ơi" is "thằng".
   */
  readingIn(foldedToken: string, previous: string | undefined, next: string | undefined): string[] | undefined {
    for (const r of this.readings.get(foldedToken) ?? []) {
      if ((next !== undefined && r.before.has(next)) || (previous !== undefined && r.after.has(previous))) return r.as;
    }
    return undefined;
  }

  expand(foldedToken: string): string[][] | undefined {
    return this.expansions.get(foldedToken);
  }

  has(foldedToken: string): boolean {
    return this.expansions.has(foldedToken);
  }

  keys(): IterableIterator<string> {
    return this.expansions.keys();
  }

  /**
   * The teencode version of a phrase: "tài khoản không đăng nhập được" → "tk ko dn dc".
   * Used to add abbreviated variants of training examples.
   */
  contract(canonical: string): string {
    const toks = tokens(canonical);
    const keys = toks.map(toneKey);
    const out: string[] = [];
    for (let i = 0; i < toks.length; ) {
      let done = false;
      for (const len of [3, 2, 1]) {
        if (i + len > toks.length) continue;
        const phrase = keys.slice(i, i + len).join(" ");
        const shorts = this.contractions.get(phrase);
        if (shorts?.[0]) {
          out.push(shorts[0]);
          i += len;
          done = true;
          break;
        }
      }
      if (!done) {
        out.push(toks[i] ?? "");
        i++;
      }
    }
    return out.join(" ");
  }
}
