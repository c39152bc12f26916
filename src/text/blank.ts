/**
 * Characters that show nothing on their own: whitespace, format characters (zero-width space,
 * joiners, word joiner, BOM, soft hyphen, direction marks, tags), variation selectors, the
 * combining grapheme joiner, Hangul fillers and the blank Braille pattern.
 */
const INVISIBLE = /[\s\p{Cf}\u034F\u115F\u1160\u2800\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/gu;

/** Whether a text shows nothing at all: such a message is empty, however many characters it has. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, "") === "";
}
