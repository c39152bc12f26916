import { createHash } from "node:crypto";
import { MediaError, type MediaPort, type MediaRecord, type MediaSource } from "../ports/media.js";
import type { Attachment } from "../ports/message.js";
import { download, megabytes } from "./download.js";
import { MediaFiles } from "./files.js";
import { Signer } from "./signing.js";
import { refine, sniff } from "./sniff.js";

export interface MediaOptions {
  dir: string;
  maxBytes: number;
  linkMinutes: number;
  /** Where users reach this server (`PUBLIC_URL`): links sent to other platforms are absolute. */
  publicUrl?: string | undefined;
}

/** A media id derived from what it stands for (an event and its attachment's place): a retry finds it. */
export function mediaIdFor(key: string): string {
  return createHash("sha256").update(key).digest("base64url").slice(0, 32);
}

/** The media store on files (src/ports/media.ts), with signed links. */
export class Media implements MediaPort {
  readonly files: MediaFiles;
  private readonly signer: Signer;

  constructor(private readonly options: MediaOptions) {
    this.files = new MediaFiles(options.dir);
    this.signer = new Signer(options.dir);
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  async ingest(
    id: string,
    source: MediaSource,
    hint: Partial<Pick<Attachment, "name" | "voice" | "type">> & { owner?: string } = {},
  ): Promise<MediaRecord> {
    const known = await this.files.info(id);
    if (known) return known;
    const bytes = await download(source, this.options.maxBytes);
    return this.put(id, bytes, hint);
  }

  async put(
    id: string,
    bytes: Buffer,
    hint: { name?: string; owner?: string; voice?: boolean; type?: string } = {},
  ): Promise<MediaRecord> {
    if (bytes.length > this.options.maxBytes)
      throw new MediaError(
        `too large: ${megabytes(bytes.length)}, the limit is ${megabytes(this.options.maxBytes)}`,
        "too_large",
      );
    if (bytes.length === 0) throw new MediaError("the file is empty", "missing");
    let s = refine(sniff(bytes), hint.name);
    // Sound in an MP4 container (Messenger's voice clips): the platform said audio, the bytes agree it is MP4.
    if (hint.type === "audio" && s.mime === "video/mp4") s = { mime: "audio/mp4", kind: "audio" };
    const record: MediaRecord = { id, mime: s.mime, size: bytes.length, kind: s.kind, at: Date.now() };
    // A sticker stays one when its bytes are a picture (WebP); an animated one is a video.
    if (hint.type === "sticker" && s.kind === "image") record.kind = "sticker";
    if (hint.name) record.name = hint.name.slice(0, 200);
    if (hint.owner) record.owner = hint.owner;
    if (hint.voice && s.kind === "audio") record.voice = true;
    await this.files.write(record, bytes);
    return record;
  }

  info(id: string): Promise<MediaRecord | undefined> {
    return this.files.info(id);
  }

  remove(id: string): Promise<boolean> {
    return this.files.remove(id);
  }

  read(id: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined> {
    return this.files.read(id);
  }

  link(id: string, o: { absolute?: boolean; minutes?: number } = {}): string | undefined {
    const expires = Math.floor(Date.now() / 1000) + 60 * (o.minutes ?? this.options.linkMinutes);
    const path = `/media/${id}?${this.signer.query(id, expires)}`;
    if (!o.absolute) return path;
    return this.options.publicUrl ? `${this.options.publicUrl.replace(/\/+$/, "")}${path}` : undefined;
  }

  valid(id: string, expires: number, signature: string): boolean {
    return this.signer.valid(id, expires, signature);
  }
}
