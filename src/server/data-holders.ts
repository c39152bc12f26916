import type { MediaFiles } from "../media/files.js";
import type { MediaRecord } from "../ports/media.js";
import type { HeldData, PersonalDataHolder } from "../ports/people.js";
import type { QualityStore } from "../ports/quality.js";
import { convOf } from "../privacy/anonymise.js";

/**
 * Personal data kept outside the backend's people store, found and erased with it
 * (src/desk/people.ts) and swept by the same retention pass (src/privacy/sweeper.ts).
 */

/** A person's files: the ones they sent (owner) and any file in their requests' transcripts. */
async function filesOf(files: MediaFiles, conv: string, held: HeldData): Promise<MediaRecord[]> {
  const ids = new Set<string>();
  for (const r of held.requests)
    for (const line of r.transcript) for (const a of line.attachments ?? []) if (a.mediaId) ids.add(a.mediaId);
  return (await files.list()).filter((r) => r.owner === conv || ids.has(r.id));
}

/** Screenshots, voice notes and files: bytes and record deleted; swept after `retention.media`. */
export function mediaHolder(files: MediaFiles): PersonalDataHolder {
  return {
    name: "media",
    collect: async (p, held) =>
      (await filesOf(files, convOf(p), held)).map(({ id, mime, size, kind, name, at }) => ({
        id,
        mime,
        size,
        kind,
        ...(name ? { name } : {}),
        at: new Date(at).toISOString(),
      })),
    erase: async (p, held) => {
      let n = 0;
      for (const r of await filesOf(files, convOf(p), held)) if (await files.remove(r.id)) n++;
      return n;
    },
    sweep: (retention, now) => files.sweep(retention.media, now),
  };
}

/**
 * The quality log (ratings, unanswered questions, notices to leads): a person's questions and
 * comments go with them, their conversations and scores stay as anonymous figures; past the
 * transcripts' retention, everyone's do.
 */
export function qualityHolder(quality: QualityStore): PersonalDataHolder {
  const ids = (held: HeldData) => held.requests.map((r) => r.record.id);
  return {
    name: "quality",
    collect: (p, held) => quality.ofPerson(convOf(p), ids(held)),
    erase: (p, held) => quality.forget(convOf(p), ids(held)),
    sweep: (retention, now) => quality.forgetBefore(now - retention.transcripts),
  };
}
