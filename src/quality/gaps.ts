import { createHash } from "node:crypto";
import type { Matcher } from "../nlu/matcher.js";
import type { QualityEvent } from "../ports/quality.js";

/**
 * Content gaps: the messages the bot could not answer, grouped by meaning so a lead reads
 * one line per question, not thirty. "lam sao doi ten shop", "làm sao đổi tên shop" and
 * "lm sao doi ten shopp" read the same to the matcher (folding, teencode, typos), so they
 * are grouped by the matcher's own reading of them: the token sets of two messages of one
 * group overlap by at least `SAME_QUESTION` (Jaccard).
 */
export const SAME_QUESTION = 0.6;

/** Where the leads' decisions on gaps are kept (the backend's shared kv). */
export const GAP_DECISIONS = "quality:gap-decisions";

export function gapOf(text: string, matcher: Pick<Matcher, "meaningTokens">): { tokens: string[] } {
  return { tokens: matcher.meaningTokens(text) };
}

export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const sb = new Set(b);
  let both = 0;
  for (const t of new Set(a)) if (sb.has(t)) both++;
  return both / (new Set([...a, ...b]).size || 1);
}

export type GapDecision =
  | { action: "example"; intent: string; tokens: string[]; by: string; at: number; text: string }
  | { action: "new_intent"; tokens: string[]; by: string; at: number; text: string }
  | { action: "ignored"; tokens: string[]; by: string; at: number; text: string };

export interface GapGroup {
  /** Stable while its first message is in the range: a hash of that message's reading. */
  id: string;
  tokens: string[];
  count: number;
  firstSeen: number;
  lastSeen: number;
  channels: string[];
  /** Up to five distinct messages, as written (masked). */
  examples: string[];
  zones: { fallback: number; clarify: number };
  decision?: GapDecision;
}

export const groupId = (tokens: readonly string[]) =>
  createHash("sha256").update(tokens.join(" ")).digest("base64url").slice(0, 12);

/**
 * Groups the gap events (oldest first): each joins the group it reads most like, when
 * alike enough, else starts one. Decisions made earlier (`decisions`) attach to the group
 * that reads like them; ignored groups and those already answered stay listed with it.
 */
export function groupGaps(events: readonly QualityEvent[], decisions: readonly GapDecision[] = []): GapGroup[] {
  const groups: GapGroup[] = [];
  for (const e of events) {
    const tokens = (e.data.tokens as string[] | undefined) ?? [];
    const text = String(e.data.text ?? "");
    let best: GapGroup | undefined;
    let bestScore = 0;
    for (const g of groups) {
      const s = jaccard(tokens, g.tokens);
      if (s > bestScore) {
        best = g;
        bestScore = s;
      }
    }
    if (!best || bestScore < SAME_QUESTION) {
      best = {
        id: groupId(tokens),
        tokens,
        count: 0,
        firstSeen: e.at,
        lastSeen: e.at,
        channels: [],
        examples: [],
        zones: { fallback: 0, clarify: 0 },
      };
      groups.push(best);
    }
    best.count++;
    best.lastSeen = Math.max(best.lastSeen, e.at);
    if (!best.channels.includes(e.channel)) best.channels.push(e.channel);
    if (best.examples.length < 5 && !best.examples.includes(text)) best.examples.push(text);
    if (e.data.zone === "clarify") best.zones.clarify++;
    else best.zones.fallback++;
  }
  for (const g of groups) {
    const d = decisions.filter((x) => jaccard(x.tokens, g.tokens) >= SAME_QUESTION).sort((a, b) => b.at - a.at)[0];
    if (d) g.decision = d;
  }
  return groups.sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
}
