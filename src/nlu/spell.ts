/** Longest token worth correcting (a longer one is no typo, and its deletions cost length²). */
const MAX_WORD = 24;

/**
 * Single-edit spelling correction against the training vocabulary (a SymSpell-style
 * deletion index: every word is stored under itself and each of its one-letter
 * deletions, so a lookup costs a handful of map reads, not a scan of the vocabulary).
 * Short tokens are left alone: in folded Vietnamese most 2–3 letter strings are real
 * syllables, and "correcting" them would invent meaning.
 */
export class SpellIndex {
  private readonly freq = new Map<string, number>();
  private readonly deletes = new Map<string, string[]>();

  constructor(
    words: Iterable<string> | Map<string, number>,
    private readonly minLength = 4,
  ) {
    if (words instanceof Map) for (const [w, n] of words) this.freq.set(w, n);
    else for (const w of words) this.freq.set(w, (this.freq.get(w) ?? 0) + 1);
    for (const w of this.freq.keys()) {
      if (w.length < this.minLength || w.length > MAX_WORD) continue;
      for (const d of deletions(w)) {
        const list = this.deletes.get(d) ?? [];
        list.push(w);
        this.deletes.set(d, list);
      }
    }
  }

  /** Every known word with how often training used it (to save a trained matcher). */
  frequencies(): Map<string, number> {
    return this.freq;
  }

  known(word: string): boolean {
    return this.freq.has(word);
  }

  /** The most frequent known word one edit (insert, delete, substitute, swap) away, if any. */
  correct(word: string): string | undefined {
    // A word longer than any real one is not a typo; its deletions would cost length² characters.
    if (word.length < this.minLength || word.length > MAX_WORD || /\d/.test(word)) return undefined;
    const candidates = new Set<string>();
    for (const w of this.deletes.get(word) ?? []) candidates.add(w); // the user dropped a letter
    for (const d of deletions(word)) {
      if (this.freq.has(d)) candidates.add(d); // the user added a letter
      for (const w of this.deletes.get(d) ?? []) candidates.add(w); // substituted or swapped
    }
    let best: string | undefined;
    let bestFreq = 0;
    for (const c of candidates) {
      if (!withinOneEdit(word, c)) continue;
      const f = this.freq.get(c) ?? 0;
      if (f > bestFreq || (f === bestFreq && best !== undefined && c < best)) {
        best = c;
        bestFreq = f;
      }
    }
    return best;
  }
}

function deletions(w: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < w.length; i++) out.push(w.slice(0, i) + w.slice(i + 1));
  return out;
}

/** Damerau distance ≤ 1. */
function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
