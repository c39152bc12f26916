import type { MediaKind } from "../ports/media.js";

/**
 * What a file is, from its first bytes (magic numbers), never from its name or the sender's
 * content type: a "photo.jpg" that is HTML must not be served as anything a browser runs.
 */
export interface Sniffed {
  mime: string;
  kind: MediaKind;
}

const starts = (b: Buffer, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);
const ascii = (b: Buffer, s: string, at = 0) => b.subarray(at, at + s.length).toString("latin1") === s;

export function sniff(b: Buffer): Sniffed {
  if (starts(b, [0xff, 0xd8, 0xff])) return { mime: "image/jpeg", kind: "image" };
  if (starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { mime: "image/png", kind: "image" };
  if (ascii(b, "GIF87a") || ascii(b, "GIF89a")) return { mime: "image/gif", kind: "image" };
  if (ascii(b, "RIFF") && ascii(b, "WEBP", 8)) return { mime: "image/webp", kind: "image" };
  if (ascii(b, "RIFF") && ascii(b, "WAVE", 8)) return { mime: "audio/wav", kind: "audio" };
  if (ascii(b, "%PDF-")) return { mime: "application/pdf", kind: "file" };
  if (ascii(b, "OggS")) return { mime: "audio/ogg", kind: "audio" };
  if (ascii(b, "#!AMR")) return { mime: "audio/amr", kind: "audio" };
  if (ascii(b, "ID3") || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0 && ((b[1] ?? 0) & 0x06) !== 0))
    return { mime: "audio/mpeg", kind: "audio" };
  if (b[0] === 0xff && ((b[1] ?? 0) & 0xf6) === 0xf0) return { mime: "audio/aac", kind: "audio" };
  if (ascii(b, "ftyp", 4)) {
    const brand = b.subarray(8, 12).toString("latin1");
    if (/^M4A|^M4B/.test(brand)) return { mime: "audio/mp4", kind: "audio" };
    if (/^3g/.test(brand)) return { mime: "video/3gpp", kind: "video" };
    if (/^qt/.test(brand)) return { mime: "video/quicktime", kind: "video" };
    return { mime: "video/mp4", kind: "video" };
  }
  if (starts(b, [0x1a, 0x45, 0xdf, 0xa3])) return { mime: "video/webm", kind: "video" };
  if (starts(b, [0x50, 0x4b, 0x03, 0x04])) return { mime: "application/zip", kind: "file" };
  if (starts(b, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return { mime: "application/msword", kind: "file" };
  // Text (SVG and HTML included) is a file to download, never something shown inline.
  return { mime: "application/octet-stream", kind: "file" };
}

/**
 * Office files are ZIP (docx, xlsx) or OLE (doc, xls) containers: the name's extension only
 * picks which one within a container the bytes already proved, never a type the bytes did not.
 */
export function refine(s: Sniffed, name: string | undefined): Sniffed {
  const ext = name?.toLowerCase().match(/\.([a-z0-9]{1,5})$/)?.[1];
  if (s.mime === "application/zip" && ext && OOXML[ext]) return { mime: OOXML[ext], kind: "file" };
  if (s.mime === "application/msword" && ext === "xls") return { mime: "application/vnd.ms-excel", kind: "file" };
  return s;
}

const OOXML: Record<string, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** Types a browser may show inline from `/media/<id>` (pictures, sound, video); the rest downloads. */
export function inlineSafe(mime: string): boolean {
  return /^(image\/(jpeg|png|gif|webp)|audio\/(ogg|mpeg|mp4|wav|aac)|video\/(mp4|webm|quicktime))$/.test(mime);
}

/** A file extension for a type (names shown on platforms that need one). */
export function extensionOf(mime: string): string {
  return EXT[mime] ?? "bin";
}

const EXT: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "audio/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/aac": "aac",
  "audio/amr": "amr",
  "audio/wav": "wav",
  "video/mp4": "mp4",
  "video/webm": "webm",
  "video/quicktime": "mov",
  "video/3gpp": "3gp",
  "application/pdf": "pdf",
  "application/zip": "zip",
  "application/msword": "doc",
  "application/vnd.ms-excel": "xls",
  ...Object.fromEntries(Object.entries(OOXML).map(([k, v]) => [v, k])),
};
