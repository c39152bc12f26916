import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REQUIRED_INTENTS } from "../src/content/validate.js";
import { matcherFor } from "../src/nlu/train.js";
import type { Attachment, OutboundMessage } from "../src/ports/message.js";
import { contradictoryReplies } from "./engine/contradictions.js";
import { shippedContent } from "./helpers/content.js";
import { choicesOf, harness, textOf } from "./helpers/harness.js";
import { delivery, rig, userMessage } from "./messenger/setup.js";

/**
 * Conversation tests written as YAML transcripts (test/conversations/*.yaml): what the
 * user says or taps, and what the bot must answer, through the real runtime and engine.
 * A conversation marked `messenger: true` is also played through the Messenger webhook
 * (signed deliveries in, Send API calls out). No turn may say two contradictory things.
 */
interface Turn {
  user?: string;
  /** Tap the quick reply with this label (as offered in the previous turn). */
  tap?: string;
  image?: boolean;
  /** A new visitor arrives from a page in this language (the live chat's `?lang=`). */
  start?: "vi" | "en";
  intent?: string;
  says?: string | string[];
  not?: string | string[];
  choices?: string[];
  silent?: boolean;
  /** The number of messages the turn must produce. */
  messages?: number;
}
interface Conversation {
  name: string;
  operators?: boolean;
  /** The clock, ISO (default: a Tuesday at 10:00 in Hanoi, inside support hours); a minute passes per turn. */
  at?: string;
  /** Also through a Messenger webhook (turns with `start` or `image` are not played there). */
  messenger?: boolean;
  turns: Turn[];
}

const dir = "test/conversations";
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const transcripts = files.map((file) => ({
  file,
  conversations: parse(readFileSync(join(dir, file), "utf8")) as Conversation[],
}));

/** What every channel's run of a turn is checked against. */
function check(where: string, turn: Turn, replies: OutboundMessage[], offeredLabels: string[]): void {
  const text = textOf(replies);
  for (const s of list(turn.says)) expect(text.toLowerCase(), `${where}: says "${s}"`).toContain(s.toLowerCase());
  for (const s of list(turn.not))
    expect(text.toLowerCase(), `${where}: must not say "${s}"`).not.toContain(s.toLowerCase());
  for (const l of turn.choices ?? []) expect(offeredLabels, `${where}: offers "${l}"`).toContain(l);
  if (turn.silent) expect(replies, `${where}: silent`).toEqual([]);
  if (turn.messages !== undefined) expect(replies.length, `${where}: messages`).toBe(turn.messages);
  expect(contradictoryReplies(replies), `${where}: contradictions`).toEqual([]);
}

const describeTurn = (c: Conversation, i: number, turn: Turn) =>
  `${c.name}, turn ${i + 1} (${turn.user ?? turn.tap ?? (turn.start ? `start ${turn.start}` : "image")})`;

for (const { file, conversations } of transcripts) {
  describe(file, () => {
    for (const c of conversations) {
      it(c.name, async () => {
        let at = new Date(c.at ?? "2026-11-24T03:00:00Z").getTime();
        const h = await harness({ operators: c.operators ?? false, now: () => new Date(at) });
        try {
          let offered: { label: string; payload: string }[] = [];
          for (const [i, turn] of c.turns.entries()) {
            at += 60_000;
            const where = describeTurn(c, i, turn);
            let replies: OutboundMessage[];
            if (turn.tap) {
              const choice = offered.find((q) => q.label === turn.tap);
              expect(
                choice,
                `${where}: "${turn.tap}" was not offered (offered: ${offered.map((q) => q.label).join(", ")})`,
              ).toBeDefined();
              replies = await h.event({
                userId: "u",
                kind: "postback",
                payload: choice?.payload ?? "",
                text: turn.tap,
              });
            } else if (turn.start) {
              replies = await h.event({ userId: "u", channel: "cli", kind: "start", meta: { lang: turn.start } });
            } else if (turn.image) {
              const attachments: Attachment[] = [{ type: "image", url: "https://example.vn/shot.png" }];
              replies = await h.event({ userId: "u", attachments });
            } else {
              replies = await h.say(turn.user ?? "", { user: "u" });
            }
            if (turn.intent) expect(h.last.intent, `${where}: intent`).toBe(turn.intent);
            check(
              where,
              turn,
              replies,
              choicesOf(replies).map((q) => q.label),
            );
            if (choicesOf(replies).length > 0) offered = choicesOf(replies);
          }
        } finally {
          await h.close();
        }
      });
      if (c.messenger) it(`${c.name} (through a Messenger webhook)`, () => throughMessenger(c), 30_000);
    }
  });
}

interface SendBody {
  recipient: { id: string };
  message?: {
    text?: string;
    quick_replies?: { title: string; payload: string }[];
    attachment?: { payload?: { text?: string } };
  };
}

/** The same transcript as a Messenger user: signed webhook deliveries, Send API calls back. */
async function throughMessenger(c: Conversation): Promise<void> {
  const r = await rig();
  const user = `9${Math.floor(Math.random() * 1e12)}`;
  try {
    let seen = 0;
    let offered: { title: string; payload: string }[] = [];
    for (const [i, turn] of c.turns.entries()) {
      if (turn.start || turn.image) continue;
      const where = `${describeTurn(c, i, turn)} [messenger]`;
      const item = userMessage(user, turn.tap ?? turn.user ?? "");
      if (turn.tap) {
        const choice = offered.find((q) => q.title === turn.tap);
        expect(choice, `${where}: "${turn.tap}" was not offered`).toBeDefined();
        Object.assign(item.message, { quick_reply: { payload: choice?.payload ?? "" } });
      }
      const res = await r.post(delivery([item]));
      expect(res.statusCode, where).toBe(200);
      await r.idle();
      const bodies = r
        .sent(user)
        .slice(seen)
        .map((x) => x.body as SendBody);
      seen += bodies.length;
      const replies: OutboundMessage[] = bodies.map((b) => {
        const m: OutboundMessage = { text: b.message?.text ?? b.message?.attachment?.payload?.text ?? "" };
        const qrs = b.message?.quick_replies;
        if (qrs?.length) m.quickReplies = qrs.map((q) => ({ label: q.title, payload: q.payload }));
        return m;
      });
      check(
        where,
        turn,
        replies,
        choicesOf(replies).map((q) => q.label),
      );
      const qrs = bodies.flatMap((b) => b.message?.quick_replies ?? []);
      if (qrs.length > 0) offered = qrs;
    }
  } finally {
    await r.close();
  }
}

describe("transcript coverage", () => {
  // Read from the transcripts themselves, so it holds whether or not the tests above ran:
  // each turn that names an intent is checked against the bot by its own conversation test.
  it("covers every intent in Vietnamese and in English", () => {
    const matcher = matcherFor(shippedContent());
    const covered = { vi: new Set<string>(), en: new Set<string>() };
    for (const { conversations } of transcripts)
      for (const c of conversations)
        for (const turn of c.turns)
          if (turn.user && turn.intent) covered[matcher.language(turn.user) ?? "vi"].add(turn.intent);
    const intents = [...new Set([...REQUIRED_INTENTS, ...Object.keys(shippedContent().flows.intents)])];
    for (const lang of ["vi", "en"] as const) {
      const missing = intents.filter((id) => !covered[lang].has(id));
      expect(missing, `intents without a ${lang} transcript turn`).toEqual([]);
    }
  });
});
