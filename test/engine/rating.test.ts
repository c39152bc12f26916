import { describe, expect, it } from "vitest";
import type { Action } from "../../src/engine/actions.js";
import { handle, handleControl } from "../../src/engine/engine.js";
import { newSession } from "../../src/engine/session.js";
import type { EngineContext } from "../../src/engine/turn.js";
import type { Session } from "../../src/ports/session.js";
import { engineContext, message, TUESDAY_10H } from "./context.js";

/** The rating after a person's close, as plain values: no store, no channel. */

const NOW = TUESDAY_10H.getTime();
const HOUR = 3_600_000;

function answered(lastUserAt = NOW - HOUR): Session {
  return {
    ...newSession(),
    mode: "human",
    openRequestId: "HT-000009",
    lastUserAt,
    requests: [
      {
        id: "HT-000009",
        intent: "handoff.human",
        title: "Gặp nhân viên",
        status: "in_progress",
        priority: "normal",
        createdAt: NOW - 2 * HOUR,
        escalated: true,
        personReplied: true,
      },
    ],
  };
}

const quality = (actions: Action[]) => actions.filter((a) => a.type === "quality").map((a) => a.data);
const close = (s: Session, ctx: EngineContext, extra: { auto?: boolean; operator?: string } = { operator: "Lan" }) =>
  handleControl({ kind: "request_closed", requestId: "HT-000009", ...extra }, s, ctx);

describe("the rating after a person's close", () => {
  it("offers stars where the channel draws them; a typed digit still counts", () => {
    const ctx = engineContext({ ratingStars: true, replyWindowHours: 24 });
    const closed = close(answered(), ctx);
    const reply = closed.actions.find((a) => a.type === "reply");
    expect(reply?.type === "reply" && reply.message.quickReplies?.map((q) => q.label)).toEqual([
      "★",
      "★★",
      "★★★",
      "★★★★",
      "★★★★★",
      "Bỏ qua",
    ]);
    const rated = handle(message("5"), closed.session, ctx);
    expect(quality(rated.actions)).toEqual([{ outcome: "rated", score: 5 }]);
    expect(rated.session.rating?.stage).toBe("comment");
  });

  it("outside the bot's window: no prompt, counted as skipped; never after a close by the system", () => {
    const ctx = engineContext({ replyWindowHours: 24 });
    const late = close(answered(NOW - 25 * HOUR), ctx);
    expect(quality(late.actions)).toEqual([{ outcome: "skipped_window" }]);
    expect(late.session.rating).toBeUndefined();
    const auto = close(answered(), ctx, { auto: true });
    expect(quality(auto.actions)).toEqual([]);
    expect(auto.session.rating).toBeUndefined();
  });

  it("at most once per request, and a prompt left unanswered lapses", () => {
    const ctx = engineContext();
    const first = close(answered(), ctx);
    expect(quality(first.actions)).toEqual([{ outcome: "asked" }]);
    const again = close({ ...first.session, rating: undefined } as Session, ctx);
    expect(quality(again.actions)).toEqual([]);
    const later = engineContext({ now: new Date(NOW + 25 * HOUR) });
    const r = handle(message("4", { timestamp: NOW + 25 * HOUR }), first.session, later);
    expect(quality(r.actions)).toEqual([]);
    expect(r.session.rating).toBeUndefined();
  });
});
