import { createHash } from "node:crypto";
import type { Content } from "../content/load.js";
import { Matcher } from "./matcher.js";

const cache = new Map<string, Matcher>();

/**
 * The matcher for a content pack, trained once per pack per process: the server, the CLI
 * and every test that loads the same flows share one model.
 */
export function matcherFor(content: Content): Matcher {
  const { intents, lexicon } = content.flows;
  const m = content.config.matcher;
  const key = createHash("sha256")
    .update(JSON.stringify([Object.entries(intents).map(([id, i]) => [id, i.examples]), lexicon, m]))
    .digest("hex");
  let matcher = cache.get(key);
  if (!matcher) {
    matcher = Matcher.train(
      Object.entries(intents).map(([id, i]) => ({ id, examples: i.examples })),
      lexicon,
      { thresholds: { answer: m.answer_threshold, clarify: m.clarify_threshold, margin: m.margin } },
    );
    cache.set(key, matcher);
  }
  return matcher;
}
