import type { Logger } from "pino";
import { mediaIdFor } from "../media/media.js";
import type { ChannelAdapter } from "../ports/channel.js";
import { MediaError, type MediaPort, stored } from "../ports/media.js";
import type { Attachment, InboundEvent } from "../ports/message.js";

/** Attachments that are values (a place, a contact, a shared link), not files. */
const NOT_FILES = new Set<Attachment["type"]>(["location", "contact", "link"]);

/**
 * Every file of a user's message is fetched once, from where its platform keeps it (links
 * that expire, Telegram's `getFile`), into the media store, before the engine sees the
 * message: from then on operators, the console and other platforms are served from hotro's
 * copy. Ids derive from the event, so a retry after a crash finds the file already kept.
 * A file that cannot be fetched keeps its place with the reason (`error`), never dropped.
 */
export async function withStoredMedia(
  event: InboundEvent,
  adapter: ChannelAdapter | undefined,
  media: MediaPort,
  log: Logger,
): Promise<InboundEvent> {
  if (!event.attachments?.length) return event;
  // Side by side: a message's files wait for the slowest one, not for their sum.
  const out = await Promise.all(event.attachments.map((a, i) => keep(event, a, i, adapter, media, log)));
  return { ...event, attachments: out };
}

async function keep(
  event: InboundEvent,
  a: Attachment,
  i: number,
  adapter: ChannelAdapter | undefined,
  media: MediaPort,
  log: Logger,
): Promise<Attachment> {
  if (NOT_FILES.has(a.type)) return a;
  try {
    if (a.mediaId) {
      // Uploaded to hotro already (the live chat): only by this very user.
      const r = await media.info(a.mediaId);
      if (!r || (r.owner && r.owner !== `${event.channel}:${event.userId}`))
        throw new MediaError("the uploaded file was not found", "missing");
      return stored(a, r);
    }
    const source =
      (await adapter?.mediaSource?.(a)) ?? (a.url && /^https?:\/\//i.test(a.url) ? { url: a.url } : undefined);
    if (!source) return a;
    // The sender owns it: an erasure of their data finds it (src/privacy, the media holder).
    const hint: Parameters<MediaPort["ingest"]>[2] = { type: a.type, owner: `${event.channel}:${event.userId}` };
    if (a.name) hint.name = a.name;
    if (a.voice) hint.voice = a.voice;
    if (a.size !== undefined && source.size === undefined) source.size = a.size;
    return stored(a, await media.ingest(mediaIdFor(`${event.id}:${i}`), source, hint));
  } catch (err) {
    const why = err instanceof MediaError ? err.message : "could not keep the file";
    // The reason only: a platform's file link can carry its token.
    log.warn({ conv: `${event.channel}:${event.userId}`, type: a.type, error: why }, "attachment not kept");
    const failed: Attachment = { ...a, error: why };
    delete failed.mediaId;
    return failed;
  }
}
