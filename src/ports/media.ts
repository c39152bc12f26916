import type { Attachment } from "./message.js";

/** What a stored file is, as destinations choose their way of sending it. */
export type MediaKind = "image" | "audio" | "video" | "file" | "sticker";

export interface MediaRecord {
  id: string;
  /** Sniffed from the bytes (`application/octet-stream` when nothing matched). */
  mime: string;
  size: number;
  kind: MediaKind;
  /** The name the sender gave it (shown, never trusted for the type). */
  name?: string;
  voice?: boolean;
  /** Who may refer to it in a message (`webchat:<visitor>` for a live-chat upload). */
  owner?: string;
  at: number;
}

/** Where a platform keeps an attachment: fetched once, with these headers, then never again. */
export interface MediaSource {
  url: string;
  headers?: Record<string, string>;
  /** Bytes, when the platform says so before the download (refused early when too large). */
  size?: number;
}

/** A file that could not be fetched, kept or sent, with a reason an operator can read. */
export class MediaError extends Error {
  constructor(
    message: string,
    readonly reason: "too_large" | "unsupported" | "fetch" | "missing",
  ) {
    super(message);
    this.name = "MediaError";
  }
}

/**
 * hotro's copy of what users and operators send (DESIGN: fetched once from the platform,
 * whose links expire): every destination is served from here, by upload or by a signed,
 * short-lived link to `GET /media/<id>`.
 */
export interface MediaPort {
  /** The largest file kept (bytes): a download is stopped as soon as it passes it. */
  readonly maxBytes: number;
  /** Fetch `source` into the store under `id` (a second call with the same id fetches nothing). */
  ingest(
    id: string,
    source: MediaSource,
    hint?: Partial<Pick<Attachment, "name" | "voice" | "type">> & { owner?: string },
  ): Promise<MediaRecord>;
  /** Keep bytes received directly (a live-chat or console upload). */
  put(
    id: string,
    bytes: Buffer,
    hint?: { name?: string; owner?: string; voice?: boolean; type?: string },
  ): Promise<MediaRecord>;
  info(id: string): Promise<MediaRecord | undefined>;
  /** Deletes a file (a user who has not agreed to keeping their data: src/runtime). */
  remove(id: string): Promise<boolean>;
  read(id: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined>;
  /**
   * A signed link to the file, valid `minutes` (config `media.link_minutes`): absolute with
   * `PUBLIC_URL` (for users on other platforms), else a path (the console, the live chat).
   */
  link(id: string, o?: { absolute?: boolean; minutes?: number }): string | undefined;
}

/** The attachment as it stands once stored: type, name, size and type from the record. */
export function stored(a: Attachment, r: MediaRecord): Attachment {
  const out: Attachment = { ...a, mediaId: r.id, mime: r.mime, size: r.size };
  delete out.error;
  if (r.name && !out.name) out.name = r.name;
  // A "file" that is really a picture (a sound, a video) is shown and sent as one.
  if (a.type === "file" && r.kind !== "file") out.type = r.kind === "sticker" ? "image" : r.kind;
  if (r.voice) out.voice = true;
  return out;
}
