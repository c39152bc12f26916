import { type FSWatcher, watch } from "node:fs";

/**
 * Call `onChange` once edits to the files under `dirs` settle (`quietMs` without another
 * change): an editor's save often writes a file two or three times.
 */
export function watchDirs(dirs: string[], onChange: () => void, quietMs = 300): () => void {
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, quietMs);
  };
  const watchers: FSWatcher[] = dirs.map((d) => watch(d, { recursive: true }, kick));
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
