import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REQUIRED_INTENTS } from "../src/content/validate.js";
import { matcherFor } from "../src/nlu/train.js";
import type { Attachment } from "../src/ports/message.js";
import { shippedContent } from "./helpers/content.js";
import { choicesOf, harness, textOf } from "./helpers/harness.js";

/**
 * Conversation tests written as YAML transcripts (test/conversations/*.yaml): what the
 * user says or taps, and what the bot must answer, through the real runtime and engine.
 */
interface Turn {
  user?: string;
  /** Tap the quick reply with this label (as offered in the previous turn). */
  tap?: string;
  image?: boolean;
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
  /** The clock, ISO (default: a Tuesday at 10:00 in Hanoi, inside support hours). */
  at?: string;
  turns: Turn[];
}

const dir = "test/conversations";
const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const transcripts = files.map((file) => ({
  file,
  conversations: parse(readFileSync(join(dir, file), "utf8")) as Conversation[],
}));

for (const { file, conversations } of transcripts) {
  describe(file, () => {
    for (const c of conversations) {
      it(c.name, async () => {
        const at = new Date(c.at ?? "2026-11-24T03:00:00Z");
        const h = await harness({ operators: c.operators ?? false, now: () => at });
        try {
          let offered: { label: string; payload: string }[] = [];
          for (const [i, turn] of c.turns.entries()) {
            const where = `${c.name}, turn ${i + 1} (${turn.user ?? turn.tap ?? "image"})`;
            let replies: Awaited<ReturnType<typeof h.say>>;
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
            } else if (turn.image) {
              const attachments: Attachment[] = [{ type: "image", url: "https://example.vn/shot.png" }];
              replies = await h.event({ userId: "u", attachments });
            } else {
              replies = await h.say(turn.user ?? "", { user: "u" });
            }
            const text = textOf(replies);
            if (turn.intent) expect(h.last.intent, `${where}: intent`).toBe(turn.intent);
            for (const s of list(turn.says))
              expect(text.toLowerCase(), `${where}: says "${s}"`).toContain(s.toLowerCase());
            for (const s of list(turn.not))
              expect(text.toLowerCase(), `${where}: must not say "${s}"`).not.toContain(s.toLowerCase());
            const labels = choicesOf(replies).map((q) => q.label);
            for (const l of turn.choices ?? []) expect(labels, `${where}: offers "${l}"`).toContain(l);
            if (turn.silent) expect(replies, `${where}: silent`).toEqual([]);
            if (turn.messages !== undefined) expect(replies.length, `${where}: messages`).toBe(turn.messages);
            if (choicesOf(replies).length > 0) offered = choicesOf(replies);
          }
        } finally {
          await h.close();
        }
      });
    }
  });
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
    for (const lang of ["vi", "en"] as const) {
      const missing = REQUIRED_INTENTS.filter((id) => !covered[lang].has(id));
      expect(missing, `intents without a ${lang} transcript turn`).toEqual([]);
    }
  });
});
