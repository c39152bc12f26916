import type { ControlEvent } from "../ports/control.js";
import type { QuickReply } from "../ports/message.js";
import type { RequestRef } from "../ports/session.js";
import type { Action } from "./actions.js";
import { commandOf } from "./commands.js";
import type { Turn } from "./turn.js";

/**
 * The one rating a user is asked for after a person closed their request (CSAT), in the
 * same message that tells them it is closed (one message, so a platform that hands the
 * thread back to its own inbox after the close sees nothing more from the bot): 1–5 as
 * quick replies (numbered text where the channel has none, so "4" typed back counts), then
 * an optional comment. Asked at most once per request (the session keeps which, and the
 * quality log's key is the request's), never after a close by the system or when no person
 * ever wrote to the user, and never outside the platform's messaging window: then it is
 * only counted as skipped.
 */
export function askRating(
  t: Turn,
  event: Extract<ControlEvent, { kind: "request_closed" }>,
  ref?: RequestRef,
): { text: string; quickReplies: QuickReply[] } | undefined {
  const csat = t.ctx.content.config.quality.csat;
  if (!csat.enabled || event.auto || !event.operator || !ref?.personReplied) return undefined;
  if (ref.ratingAsked) return undefined;
  ref.ratingAsked = true;
  const hours = t.ctx.replyWindowHours;
  const last = t.session.lastUserAt;
  if (hours !== undefined && (last === undefined || t.now - last > hours * 3_600_000)) {
    t.actions.push(askedFact(ref.id, "skipped_window"));
    return undefined;
  }
  // Stars where the channel draws them (the live chat), else the digits a user can also type.
  const label = (n: number) => (t.ctx.ratingStars ? "★".repeat(n) : String(n));
  const scores: QuickReply[] = [1, 2, 3, 4, 5].map((n) => ({ label: label(n), payload: `csat:${n}` }));
  t.session.rating = { requestId: ref.id, stage: "score", at: t.now };
  t.actions.push(askedFact(ref.id, "asked"));
  return {
    text: t.texts.msg("csat_prompt", { request_id: ref.id }),
    quickReplies: [...scores, { label: t.texts.msg("csat_skip_button"), payload: "csat:skip" }],
  };
}

/**
 * The user's message while a rating is asked: a score, a comment, or skipping it (true: the
 * message was the rating's). Anything else lets the rating lapse and is handled as usual.
 */
export function ratingTurn(t: Turn, text: string, payload: string | undefined): boolean {
  const r = t.session.rating;
  if (!r) return false;
  const csat = t.ctx.content.config.quality.csat;
  if (t.now - r.at > csat.expire_hours * 3_600_000) {
    delete t.session.rating;
    return false;
  }
  const cmd = text ? commandOf(t.ctx.content, text) : undefined;
  const skip = payload === "csat:skip" || cmd === "skip" || cmd === "cancel";
  const record = (suffix: string, data: Record<string, unknown>) =>
    t.actions.push({
      type: "quality",
      key: `csat:${r.requestId}:${suffix}`,
      kind: "csat",
      requestId: r.requestId,
      data,
    });
  if (r.stage === "score") {
    const n = payload?.startsWith("csat:") ? Number(payload.slice(5)) : Number.NaN;
    if (Number.isInteger(n) && n >= 1 && n <= 5) {
      record("score", { outcome: "rated", score: n });
      if (csat.comment) {
        t.session.rating = { ...r, stage: "comment", score: n, at: t.now };
        t.say(t.texts.msg("csat_comment"), {
          quickReplies: [{ label: t.texts.msg("csat_skip_button"), payload: "csat:skip" }],
        });
      } else {
        delete t.session.rating;
        t.say(t.texts.msg("csat_thanks"));
      }
      t.intent = "csat";
      return true;
    }
    if (skip) {
      record("score", { outcome: "declined" });
      delete t.session.rating;
      t.say(t.texts.msg("csat_skipped"));
      t.intent = "csat";
      return true;
    }
    delete t.session.rating;
    return false;
  }
  delete t.session.rating;
  t.intent = "csat";
  if (skip || !text) {
    t.say(t.texts.msg("csat_thanks"));
    return true;
  }
  // The comment as the user wrote it (secrets were masked before it was recorded).
  record("comment", { outcome: "comment", comment: text.slice(0, 1000), score: r.score });
  t.say(t.texts.msg("csat_thanks"));
  return true;
}

/** Whether the rating was asked, or skipped outside the window: once per request (its key). */
function askedFact(requestId: string, outcome: "asked" | "skipped_window"): Action {
  return { type: "quality", key: `csat:${requestId}`, kind: "csat", requestId, data: { outcome } };
}
