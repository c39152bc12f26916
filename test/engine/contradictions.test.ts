import { describe, expect, it } from "vitest";
import type { Action } from "../../src/engine/actions.js";
import { NEW_REQUEST } from "../../src/engine/actions.js";
import { answer, says } from "./context.js";
import { contradictions } from "./contradictions.js";

/** The checker every engine test runs its turns through: it catches what the issue saw. */

const reply = (text: string, extra: object = {}): Action => ({ type: "reply", message: { text, ...extra } });
const create = (handoff = true): Action => ({
  type: "request.create",
  handoff,
  draft: { intent: "handoff.human", title: "Gặp nhân viên", priority: "normal", fields: {}, transcript: [] },
});

describe("contradictions in one turn", () => {
  it('"cancelled, nothing filed" followed by a filed request', () => {
    const turn = [reply(says("form_cancelled")), create(), reply(says("handoff_no_operators"), {})];
    expect(contradictions(turn)).toContain('"nothing filed" and a request filed');
    expect(contradictions(turn)).toContain('"nothing filed" next to a hand-off');
  });

  it('"would you like a person?" while one is being asked', () => {
    expect(contradictions([reply(says("fallback_again")), create(), reply(says("handoff_no_operators"))])).toContain(
      '"would you like a person?" and a person asked',
    );
  });

  it("a fallback and an answer; did you mean next to either, or without choices", () => {
    expect(contradictions([reply(says("fallback")), reply(answer("contact.hotline"))])).toContain(
      "a fallback and an answer",
    );
    expect(contradictions([reply(says("did_you_mean"))])).toContain('"did you mean" without choices');
    expect(
      contradictions([
        reply(says("did_you_mean"), { quickReplies: [{ label: "Hotline", payload: "intent:contact.hotline" }] }),
        reply(answer("contact.hotline", "en")),
      ]),
    ).toContain('"did you mean" next to an answer or a fallback');
  });

  it("two requests at once, a request filed while the words go to another, an empty bubble", () => {
    expect(contradictions([create(), create()])).toContain("two requests filed in one turn");
    const append: Action = {
      type: "request.append",
      requestId: "HT-000007",
      line: { from: "user", text: "x", at: 0 },
      mirror: false,
    };
    expect(contradictions([append, create()])).toContain("a request filed and the words added to another one");
    expect(contradictions([reply("  ")])).toContain("a message with nothing to read");
  });

  it("a consistent hand-off passes", () => {
    const ok = [create(), { type: "reply", message: { text: says("handoff_no_operators") }, requestId: NEW_REQUEST }];
    expect(contradictions(ok as Action[])).toEqual([]);
  });
});
