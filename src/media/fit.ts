import type { MediaRule } from "../ports/capabilities.js";
import type { MediaKind } from "../ports/media.js";
import type { Attachment } from "../ports/message.js";
import { megabytes } from "./download.js";

const MB = 1024 * 1024;
export const mb = (n: number) => Math.round(n * MB);

/** What a stored attachment is, for choosing a rule: its kind, type, size and whether it is a voice note. */
export interface FileFacts {
  kind: MediaKind;
  mime: string;
  size: number;
  voice?: boolean;
}

export function factsOf(a: Attachment): FileFacts | undefined {
  if (!a.mediaId || !a.mime || a.size === undefined) return undefined;
  const kind: MediaKind =
    a.type === "image" || a.type === "audio" || a.type === "video" || a.type === "sticker" ? a.type : "file";
  return { kind, mime: a.mime, size: a.size, ...(a.voice ? { voice: true } : {}) };
}

const mimeMatches = (mime: string, patterns: readonly string[] | undefined) =>
  !patterns || patterns.some((p) => (p.endsWith("/*") ? mime.startsWith(p.slice(0, -1)) : p === mime));

/**
 * The first of a platform's rules that takes this file, or why none does ("Zalo takes images
 * up to 1 MB; this one is 3.2 MB"), in words for the operator who sent it.
 */
export function chooseRule(
  rules: readonly MediaRule[] | undefined,
  f: FileFacts,
): { rule: MediaRule } | { why: string } {
  const list = rules ?? [];
  const sized: MediaRule[] = [];
  for (const r of list) {
    if (!r.kinds.includes(f.kind) || !mimeMatches(f.mime, r.mimes) || (r.voice && !f.voice)) continue;
    if (f.size <= r.maxBytes) return { rule: r };
    sized.push(r);
  }
  const largest = sized.reduce((m, r) => Math.max(m, r.maxBytes), 0);
  if (largest > 0)
    return { why: `too large for this platform: ${megabytes(f.size)}, it takes up to ${megabytes(largest)}` };
  return { why: `this platform does not take ${f.mime} files from a bot` };
}
