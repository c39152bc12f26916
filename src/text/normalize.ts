/**
 * Text normalisation for Vietnamese and English as people type it.
 *
 * Two channels come out of one canonical string:
 * - `accented`: diacritics kept, but the tone mark moved off the letter and appended as a
 *   suffix, so old and new tone placement (hòa/hoà, khóa/khoá) and mis-placed tones give
 *   the same token;
 * - `folded`: every mark stripped and đ→d, so "tai khoan" meets "tài khoản".
 */

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/gu;
// Letters repeated three times or more are stretching ("khoaaaa", "đượcccc"); two are kept
// because English needs them ("account", "good").
const STRETCH = /(\p{L})\1{2,}/gu;
const SPACES = /\s+/gu;

/** NFKC (folds fullwidth forms from Asian IMEs), zero-width removed, lower case, stretches squeezed. */
export function canon(text: string): string {
  return text
    .normalize("NFKC")
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
  return /[\u0300\u0301\u0302\u0303\u0306\u0309\u031B\u0323]/u.test(text.normalize("NFD")) || /đ/iu.test(text);
}

const TOKEN = /[\p{L}\p{N}]+/gu;

/** Split canonical text into word tokens (letters and digits; punctuation and emoji dropped). */
export function tokens(canonical: string): string[] {
  return canonical.match(TOKEN) ?? [];
}

/** Collapse double letters left by `canon` ("khoaa" → "khoa"), used only when the stretched form is unknown. */
export function squeezeDoubles(token: string): string {
  return token.replace(/(\p{L})\1+/gu, "$1");
}
