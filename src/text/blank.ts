/**
 * Characters that show nothing on their own: whitespace, format characters and Unicode's
 * default-ignorable ones (zero-width space, joiners, word joiner, BOM, soft hyphen, direction
 * marks, variation selectors, the combining grapheme joiner, Hangul fillers, tags), and the
 * blank Braille pattern.
 */
const INVISIBLE = /[\s\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** Whether a text shows nothing at all: such a message is empty, however many characters it has. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, "") === "";
}
