/**
 * Small files whose first bytes are what real ones start with, so hotro's sniffing sees
 * what it would see in production (the rest is filler).
 */
const fill = (head: Buffer, size: number) => Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), 7)]);

export const PNG = fill(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 2048);
export const JPEG = fill(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]), 3000);
export const PDF = fill(Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), 5000);
export const OGG = fill(Buffer.from("OggS\0\x02", "latin1"), 4000);
export const MP4 = fill(Buffer.from([0, 0, 0, 0x18, ...Buffer.from("ftypmp42"), 0, 0, 0, 0]), 6000);
export const HTML = Buffer.from("<!doctype html><script>alert(document.cookie)</script>");
/** A file of `mb` megabytes (a PDF by its bytes). */
export const bigPdf = (mb: number) => fill(Buffer.from("%PDF-1.7\n", "latin1"), Math.round(mb * 1024 * 1024));
/** A voice note as Zalo's and Messenger's apps record it: AAC in an MP4 container ("M4A "). */
export const M4A = fill(Buffer.from([0, 0, 0, 0x20, ...Buffer.from("ftypM4A "), 0, 0, 0, 0]), 3500);
