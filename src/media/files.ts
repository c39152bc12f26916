import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MediaRecord } from "../ports/media.js";

/** Ids are made by hotro (hashes, random): anything else never reaches the file system. */
export const MEDIA_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Files on disk: `<id>` (the bytes) and `<id>.json` (what they are), in `MEDIA_DIR`
 * (default `DATA_DIR/media`). Written to a temporary name and renamed, so a reader never
 * sees half a file and a crash leaves no record without its bytes.
 */
export class MediaFiles {
  constructor(readonly dir: string) {}

  private path(id: string): string {
    if (!MEDIA_ID.test(id)) throw new Error("bad media id");
    return join(this.dir, id);
  }

  async write(record: MediaRecord, bytes: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const p = this.path(record.id);
    const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, p);
    await writeFile(`${tmp}.json`, JSON.stringify(record), { mode: 0o600 });
    await rename(`${tmp}.json`, `${p}.json`);
  }

  async info(id: string): Promise<MediaRecord | undefined> {
    if (!MEDIA_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(`${this.path(id)}.json`, "utf8")) as MediaRecord;
    } catch {
      return undefined;
    }
  }

  async read(id: string): Promise<{ record: MediaRecord; bytes: Buffer } | undefined> {
    const record = await this.info(id);
    if (!record) return undefined;
    try {
      return { record, bytes: await readFile(this.path(id)) };
    } catch {
      return undefined;
    }
  }

  /** Every file's record (an erasure looks for a person's files by owner). */
  async list(): Promise<MediaRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: MediaRecord[] = [];
    for (const name of names) {
      if (!name.endsWith(".json") || !MEDIA_ID.test(name.slice(0, -5))) continue;
      const r = await this.info(name.slice(0, -5));
      if (r) out.push(r);
    }
    return out;
  }

  /** Deletes a file and its record; true when there was one. */
  async remove(id: string): Promise<boolean> {
    if (!MEDIA_ID.test(id)) return false;
    const had = (await stat(`${this.path(id)}.json`).catch(() => undefined)) !== undefined;
    await rm(this.path(id), { force: true });
    await rm(`${this.path(id)}.json`, { force: true });
    return had;
  }

  /** Remove files kept longer than `ms` (config/privacy.yaml `retention.media`); returns how many went. */
  async sweep(ms: number, now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let n = 0;
    for (const name of names) {
      if (!name.endsWith(".json")) continue;
      const id = name.slice(0, -5);
      if (!MEDIA_ID.test(id)) continue;
      const s = await stat(join(this.dir, name)).catch(() => undefined);
      if (!s || now - s.mtimeMs < ms) continue;
      await rm(join(this.dir, id), { force: true });
      await rm(join(this.dir, name), { force: true });
      n++;
    }
    return n;
  }
}
