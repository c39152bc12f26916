import { existsSync } from "node:fs";
import { z } from "zod";

/**
 * Examples the leads added from the console ("add as example" on a content gap). They live
 * in an overlay, `learned.yaml` in DATA_DIR, merged into flows/ by the loader, not in
 * flows/ itself: flows/ is the content pack under version control (often read-only inside
 * the container image), while the overlay is the deployment's own data, kept across
 * upgrades of the pack. `npm run check` reads it like any content file, so a mistake names
 * its file and line; an intent it names that the pack no longer has is a problem too.
 */
export const LearnedFile = z
  .object({
    learned: z
      .record(
        z.string().regex(/^[a-z]+(\.[a-z_]+)*$/, "intent ids look like `account.locked`"),
        z
          .object({
            vi: z.array(z.string().min(1).max(500)).default([]),
            en: z.array(z.string().min(1).max(500)).default([]),
          })
          .strict(),
      )
      .default({}),
  })
  .strict();
export type LearnedFile = z.infer<typeof LearnedFile>;

export const LEARNED_FILE = "learned.yaml";

/** The overlay's path for a data directory, when there is one on disk. */
export function learnedPath(dataDir: string | undefined): string | undefined {
  if (!dataDir || dataDir === ":memory:") return undefined;
  return `${dataDir.replace(/\/+$/, "")}/${LEARNED_FILE}`;
}

export const hasLearned = (path: string | undefined): path is string => !!path && existsSync(path);
