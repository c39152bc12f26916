import { loadContent } from "../content/load.js";
import type { Content, Problem } from "../content/types.js";
import { EscalationRules } from "../engine/escalation.js";
import type { EngineDeps } from "../engine/turn.js";
import { matcherFor } from "../nlu/train.js";

/** The content pack with what is built from it: the trained matcher and the escalation rules. */
export type Pack = EngineDeps;

/** Build the matcher and rules for `content` (the model is loaded from `dataDir` when it was saved there). */
export function packFor(content: Content, dataDir?: string): Pack {
  return {
    content,
    // A restart loads the trained model from the data directory instead of training again.
    matcher: matcherFor(content, dataDir),
    rules: new EscalationRules(content.config.escalation.rules, content.config.escalation.word_lists),
  };
}

/**
 * Load config/ and flows/ again and build a new pack, or say why not. Nothing is swapped
 * here: the caller replaces the old pack only when this succeeded, so a broken edit keeps
 * the content that works.
 */
export function reloadPack(
  dirs: { configDir: string; flowsDir: string; learnedFile?: string | undefined },
  dataDir?: string,
): { pack: Pack } | { problems: Problem[] } {
  const { content, problems } = loadContent(dirs);
  if (!content || problems.length > 0) return { problems };
  return { pack: packFor(content, dataDir) };
}
