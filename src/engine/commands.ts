import type { Content } from "../content/types.js";
import { canon, fold } from "../text/normalize.js";

type CommandKind = "cancel" | "skip" | "menu";
// The pack's command words, folded once per pack (content is frozen, so its object is the key).
const commandWords = new WeakMap<object, Map<string, CommandKind>>();

/** Whether `text` is one of the pack's command words (cancel, skip, menu), and which. */
export function commandOf(content: Content, text: string): CommandKind | undefined {
  let words = commandWords.get(content.flows.commands);
  if (!words) {
    words = new Map();
    for (const kind of ["cancel", "skip", "menu"] as const) {
      for (const w of content.flows.commands[kind]) if (!words.has(fold(canon(w)))) words.set(fold(canon(w)), kind);
    }
    commandWords.set(content.flows.commands, words);
  }
  const f = fold(canon(text))
    .replace(/[^\p{L}\p{N}/ ]/gu, "")
    .trim();
  return words.get(f);
}
