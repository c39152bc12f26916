import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Content } from "../content/types.js";
import { DEFAULT_TRAIN } from "./logreg.js";
import { Matcher, NONE, type ScopeOptions } from "./matcher.js";
import { Scope } from "./scope.js";

/**
 * Bump when features or training change in a way that makes a saved model wrong: the
 * version is part of the key, so an old file is simply not found.
 */
const MODEL_VERSION = 4;

const cache = new Map<string, Matcher>();

/**
 * The matcher for a content pack, trained once per pack: the server, the CLI and every test
 * that loads the same flows in one process share one model, and with `saveDir` (the
 * server's DATA_DIR) a restart loads the trained model instead of training again.
 */
export function matcherFor(content: Content, saveDir?: string): Matcher {
  const { intents, lexicon } = content.flows;
  const m = content.config.matcher;
  const thresholds = { answer: m.answer_threshold, clarify: m.clarify_threshold, margin: m.margin };
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        MODEL_VERSION,
        DEFAULT_TRAIN,
        Object.entries(intents).map(([id, i]) => [id, i.examples]),
        lexicon,
      ]),
    )
    .digest("hex");
  const scope = scopeOf(content);
  const memoKey = `${key}:${JSON.stringify([thresholds, scope])}`;
  let matcher = cache.get(memoKey);
  if (matcher) return matcher;
  const file = saveDir ? join(saveDir, `matcher-${key.slice(0, 24)}.bin`) : undefined;
  if (file) {
    try {
      matcher = Matcher.fromBuffer(readFileSync(file), lexicon, thresholds, scope);
    } catch {
      // not saved yet, or unreadable: train below
    }
  }
  if (!matcher) {
    matcher = Matcher.train(
      Object.entries(intents).map(([id, i]) => ({ id, examples: i.examples })),
      lexicon,
      { thresholds, scope },
    );
    if (file && saveDir) {
      try {
        mkdirSync(saveDir, { recursive: true });
        // Write then rename, so a crash never leaves half a model for the next start.
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, matcher.toBuffer());
        renameSync(tmp, file);
      } catch {
        // a read-only data directory only costs the next start a training
      }
    }
  }
  cache.set(memoKey, matcher);
  return matcher;
}

/**
 * What the out-of-scope decision reads from the pack besides the examples: each intent's
 * accepted `others` and whether it is small talk, and the brand's own names (its name, and
 * its website's host without the common parts: "hotro" for hotro.example.vn).
 */
function scopeOf(content: Content): ScopeOptions {
  const { name, website } = content.config.brand;
  const brand = [name];
  const host = website?.replace(/^[a-z]+:\/\//i, "").split(/[/:]/)[0] ?? "";
  const label = host.replace(/^www\./, "").split(".")[0];
  if (label) brand.push(label);
  // An intent accepts the groups its own examples are about ("có app cho iphone không":
  // devices), so a new intent needs no `others` for what its examples already say.
  const scope = new Scope(content.flows.lexicon, brand, () => true);
  const intents: ScopeOptions["intents"] = {};
  for (const [id, i] of Object.entries(content.flows.intents)) {
    const named = id === NONE ? [] : [...i.examples.vi, ...i.examples.en].flatMap((e) => scope.groupsIn(e));
    intents[id] = { others: [...new Set([...i.others, ...named])], smallTalk: i.suggest === false && id !== NONE };
  }
  return { intents, brand };
}
