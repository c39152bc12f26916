import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parse, stringify } from "yaml";
import { LearnedFile } from "../content/learned.js";
import type { Lang } from "../ports/vocabulary.js";

const HEADER = `# Examples added by the desk's leads from the console ("add as example" on a content gap).
# Merged into flows/ by the loader and checked by \`npm run check\` (src/content/learned.ts).
# Safe to edit by hand, or to move into flows/ and delete from here.
`;

/**
 * Adds examples to the overlay and returns how many were new. Written to a temporary file
 * and renamed, so a reload never reads half a file.
 */
export function addLearnedExamples(path: string, intent: string, examples: { text: string; lang: Lang }[]): number {
  const current = existsSync(path) ? LearnedFile.parse(parse(readFileSync(path, "utf8")) ?? {}) : { learned: {} };
  const entry = current.learned[intent] ?? { vi: [], en: [] };
  let added = 0;
  for (const { text, lang } of examples) {
    const clean = text.trim().replace(/\s+/g, " ").slice(0, 500);
    if (!clean || entry[lang].includes(clean)) continue;
    entry[lang].push(clean);
    added++;
  }
  current.learned[intent] = entry;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, HEADER + stringify(current));
  renameSync(tmp, path);
  return added;
}
