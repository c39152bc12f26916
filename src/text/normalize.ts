/**
 * Text normalisation for Vietnamese and English as people type it.
 *
 * Two channels come out of one canonical string:
 * - `accented`: diacritics kept, but the tone mark moved off the letter and appended as a
 *   suffix, so old and new tone placement (hòa/hoà, khóa/khoá) and mis-placed tones give
 *   the same token;
 * - `folded`: every mark stripped and đ→d, so "tai khoan" meets "tài khoản".
 */

/**
 * Longest text the matcher, entity extractors and language check look at. Everything they
 * do is linear, but capping first (before NFKC, which can expand one character into up to
 * 18, and before any regex) bounds the cost of one message whatever a client sends:
 * engines refuse messages over `limits.max_message_chars` anyway, and the first 4,096
 * characters say what a message is about.
 */
export const MAX_TEXT_CHARS = 4096;

/** The first `max` UTF-16 units of `text`, never ending in half a surrogate pair. */
export function clip(text: string, max = MAX_TEXT_CHARS): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/gu;
// Letters repeated three times or more are stretching ("khoaaaa", "đượcccc"); two are kept
// because English needs them ("account", "good").
const STRETCH = /(\p{L})\1{2,}/gu;
const SPACES = /\s+/gu;

/**
 * NFKC (folds fullwidth forms from Asian IMEs), zero-width removed, lower case, stretches
 * squeezed. Clipped to `MAX_TEXT_CHARS` before and after NFKC.
 */
export function canon(text: string): string {
  return clip(clip(text).normalize("NFKC"))
    .replace(ZERO_WIDTH, "")
    .toLowerCase()
    .replace(STRETCH, "$1$1")
    .replace(SPACES, " ")
    .trim();
}

const MARKS = /\p{M}/gu;

/** Strip every diacritic; đ is its own letter in Unicode, so it is mapped explicitly. */
export function fold(text: string): string {
  return text.normalize("NFD").replace(MARKS, "").replace(/đ/g, "d").replace(/Đ/g, "D");
}

// Vietnamese tone marks in NFD. Vowel-quality marks (circumflex U+0302, breve U+0306,
// horn U+031B) are part of the letter and stay.
const TONES: Record<string, string> = {
  "\u0300": "2", // huyền
  "\u0301": "1", // sắc
  "\u0303": "4", // ngã
  "\u0309": "3", // hỏi
  "\u0323": "5", // nặng
};
const TONE_RE = /[\u0300\u0301\u0303\u0309\u0323]/gu;

/**
 * Canonical accented form of one token: the tone is taken off wherever it was typed and
 * appended as a digit ("khoá" and "khóa" → "khoa1", "giừơng" → "giương2").
 */
export function toneKey(token: string): string {
  const nfd = token.normalize("NFD");
  let tone = "";
  const bare = nfd.replace(TONE_RE, (m) => {
    tone = TONES[m] ?? "";
    return "";
  });
  return bare.normalize("NFC") + tone;
}

/** True when the text carries a letter or mark that only Vietnamese uses. */
export function hasVietnameseMarks(text: string): boolean {
  // In NFD every Vietnamese letter is a base letter plus these marks (breve, circumflex,
  // horn and the five tones), except đ, which has no decomposition.
  const t = clip(text);
  return /[\u0300\u0301\u0302\u0303\u0306\u0309\u031B\u0323]/u.test(t.normalize("NFD")) || /đ/iu.test(t);
}

const TOKEN = /[\p{L}\p{N}]+/gu;

/** Split canonical text into word tokens (letters and digits; punctuation and emoji dropped). */
export function tokens(canonical: string): string[] {
  return canonical.match(TOKEN) ?? [];
}

/** The patterns of this module, for the linear-pattern check in the tests. */
export const NORMALIZE_PATTERNS: readonly RegExp[] = [ZERO_WIDTH, STRETCH, SPACES, MARKS, TONE_RE, TOKEN];

/** Collapse double letters left by `canon` ("khoaa" → "khoa"), used only when the stretched form is unknown. */
export function squeezeDoubles(token: string): string {
  return token.replace(/(\p{L})\1+/gu, "$1");
}

/** A folded string that remembers, for each of its UTF-16 units, the original characters it came from. */
export interface Mapped {
  /** Folded text: NFKC, zero-width removed, lower case, marks stripped, đ→d, spaces → " ", line breaks → "\n". */
  text: string;
  /** `start[i]`, `end[i]`: the span of the original code point that produced `text[i]`. */
  start: Int32Array;
  end: Int32Array;
}

const ZERO_WIDTH_ONE = /^[\u200B-\u200D\u2060\uFEFF\u00AD]$/u;
const LINE_BREAK = /^[\n\r\u0085\u2028\u2029]$/u;
const foldedChars = new Map<number, string>();

function foldChar(cp: number): string {
  let f = foldedChars.get(cp);
  if (f !== undefined) return f;
  const ch = String.fromCodePoint(cp);
  if (ZERO_WIDTH_ONE.test(ch)) f = "";
  else if (LINE_BREAK.test(ch)) f = "\n";
  else if (/^\s$/u.test(ch)) f = " ";
  else f = fold(ch.normalize("NFKC").toLowerCase()).replace(/\s/gu, " ");
  if (foldedChars.size < 65_536) foldedChars.set(cp, f);
  return f;
}

/**
 * `fold(canon(text))` one code point at a time, with a map back to the original: what
 * the secret masker detects on, so it can replace exactly the user's characters. It is
 * `canon` + `fold` except that spaces are not collapsed and stretched letters are not
 * squeezed (both would break the one-to-one map), and it is not clipped: every character
 * of a stored message has to be looked at. Linear in the length of `text`.
 */
export function foldMapped(text: string): Mapped {
  let out = "";
  let start = new Int32Array(text.length + 8);
  let end = new Int32Array(text.length + 8);
  let n = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    let f: string;
    if (cp >= 0x80) f = foldChar(cp);
    else if (cp >= 65 && cp <= 90) f = String.fromCharCode(cp + 32);
    else if (cp === 10 || cp === 13) f = "\n";
    else if (cp === 9 || cp === 11 || cp === 12) f = " ";
    else f = text[i] ?? "";
    if (n + f.length > start.length) {
      // NFKC expanded something ("㎉" → "kcal"): grow.
      const size = Math.max(start.length * 2, n + f.length);
      const s2 = new Int32Array(size);
      const e2 = new Int32Array(size);
      s2.set(start);
      e2.set(end);
      start = s2;
      end = e2;
    }
    for (let k = 0; k < f.length; k++) {
      start[n] = i;
      end[n] = i + width;
      n++;
    }
    out += f;
    i += width;
  }
  return { text: out, start: start.subarray(0, n), end: end.subarray(0, n) };
}
