import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TELEGRAM_CAPABILITIES } from "../../adapters/telegram/capabilities.js";
import { ZALO_CAPABILITIES } from "../../adapters/zalo/capabilities.js";
import { download } from "../../src/media/download.js";
import { chooseRule, mb } from "../../src/media/fit.js";
import { Signer } from "../../src/media/signing.js";
import { refine, sniff } from "../../src/media/sniff.js";
import { MediaError } from "../../src/ports/media.js";
import { HTML, JPEG, M4A, MP4, OGG, PDF, PNG } from "./samples.js";

describe("what a file is, from its bytes", () => {
  it("reads pictures, sound, video and documents by their first bytes, whatever the name says", () => {
    expect([JPEG, PNG, PDF, OGG, MP4, M4A].map((b) => sniff(b).mime)).toEqual([
      "image/jpeg",
      "image/png",
      "application/pdf",
      "audio/ogg",
      "video/mp4",
      "audio/mp4",
    ]);
    // HTML (or SVG) named like a picture is still only bytes to download.
    expect(refine(sniff(HTML), "photo.jpg")).toEqual({ mime: "application/octet-stream", kind: "file" });
    // A name only picks within a container the bytes proved: a ZIP named .docx is a Word file.
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]);
    expect(refine(sniff(zip), "hop-dong.docx").mime).toBe(
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    );
    expect(refine(sniff(PDF), "x.docx").mime).toBe("application/pdf");
  });
});

describe("which way a platform takes a file (capabilities data)", () => {
  it("chooses Telegram's method by type, and says why Zalo takes no voice note or 3 MB photo", () => {
    const as = (kind: "image" | "audio" | "video" | "file", mime: string, size: number, voice = false) => {
      const r = chooseRule(TELEGRAM_CAPABILITIES.media, { kind, mime, size, ...(voice ? { voice } : {}) });
      return "rule" in r ? r.rule.as : r.why;
    };
    expect(as("image", "image/jpeg", mb(1))).toBe("photo");
    expect(as("image", "image/jpeg", mb(12))).toBe("document");
    expect(as("audio", "audio/ogg", mb(1), true)).toBe("voice");
    expect(as("audio", "audio/mpeg", mb(1))).toBe("audio");
    expect(as("audio", "audio/amr", mb(1), true)).toBe("document");
    expect(as("video", "video/mp4", mb(5))).toBe("video");
    expect(as("file", "application/pdf", mb(60))).toMatch(/too large for this platform: 60 MB, it takes up to 50 MB/);
    const zalo = (kind: "image" | "audio", mime: string, size: number) => {
      const r = chooseRule(ZALO_CAPABILITIES.media, { kind, mime, size });
      return "rule" in r ? r.rule.as : r.why;
    };
    expect(zalo("image", "image/png", mb(0.5))).toBe("image");
    expect(zalo("image", "image/png", mb(3))).toMatch(/3.0 MB, it takes up to 1.0 MB/);
    expect(zalo("audio", "audio/mp4", mb(0.1))).toBe("this platform does not take audio/mp4 files from a bot");
  });
});

describe("signed links", () => {
  const dir = mkdtempSync(join(tmpdir(), "hotro-sign-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("open until they expire, for that file only, and survive a restart (the key is kept)", () => {
    const s = new Signer(dir);
    const later = Math.floor(Date.now() / 1000) + 60;
    const q = new URLSearchParams(s.query("abcdefghijklmnop", later));
    const sig = q.get("s") ?? "";
    expect(s.valid("abcdefghijklmnop", later, sig)).toBe(true);
    expect(new Signer(dir).valid("abcdefghijklmnop", later, sig)).toBe(true);
    expect(s.valid("abcdefghijklmnoq", later, sig)).toBe(false);
    expect(s.valid("abcdefghijklmnop", later + 1, sig)).toBe(false);
    expect(s.valid("abcdefghijklmnop", later, sig, (later + 1) * 1000)).toBe(false);
    expect(new Signer(mkdtempSync(join(tmpdir(), "hotro-sign-other-"))).valid("abcdefghijklmnop", later, sig)).toBe(
      false,
    );
  });
});

describe("downloads are capped while they arrive", () => {
  let url = "";
  let sent = 0;
  const server = createServer((req, res) => {
    if (req.url === "/declared") {
      res.writeHead(200, { "content-length": String(mb(30)) });
      res.end();
      return;
    }
    // No length given (chunked): 8 MB in 64 KB chunks, unless the client goes away first.
    res.writeHead(200, { "content-type": "application/pdf" });
    const chunk = Buffer.alloc(64 * 1024, 1);
    const push = () => {
      while (sent < mb(8)) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", push);
      }
      res.end();
    };
    res.on("close", () => undefined);
    push();
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("refuses a declared length over the cap before reading, and stops a stream as soon as it passes it", async () => {
    await expect(download({ url: `${url}/declared` }, mb(25))).rejects.toThrow(/too large: 30 MB, the limit is 25 MB/);
    await expect(download({ url, size: mb(26) }, mb(25))).rejects.toBeInstanceOf(MediaError);
    const err = await download({ url: `${url}/stream` }, mb(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).reason).toBe("too_large");
    // The server was cut off long before its 8 MB were out.
    await new Promise((r) => setTimeout(r, 200));
    expect(sent).toBeLessThan(mb(8));
  });
});
