import type { Session, TranscriptLine } from "../ports/session.js";
import type { Lang } from "../ports/vocabulary.js";

export function newSession(lang: Lang = "vi"): Session {
  return { v: 1, lang, mode: "bot", formFailures: 0, fallbackStreak: 0, requests: [], recent: [] };
}

export const RECENT_LINES = 12;

export function remember(s: Session, line: TranscriptLine): void {
  s.recent.push({ ...line, text: line.text.slice(0, 500) });
  if (s.recent.length > RECENT_LINES) s.recent.splice(0, s.recent.length - RECENT_LINES);
}
