import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { secretEquals } from "../security/compare.js";

/**
 * Links to `/media/<id>` carry an expiry and an HMAC of both: anyone holding the link can open
 * the file until it expires, nobody can make one. The key lives beside the files (0600), so
 * every process that reads the same media directory signs and checks with the same key.
 */
export class Signer {
  private readonly key: Buffer;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, ".signing-key");
    try {
      writeFileSync(path, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
    } catch {
      // written already (by an earlier start or another process): use that one
    }
    this.key = Buffer.from(readFileSync(path, "utf8").trim(), "hex");
  }

  private mac(id: string, expires: number): string {
    return createHmac("sha256", this.key).update(`${id}.${expires}`).digest("base64url");
  }

  query(id: string, expires: number): string {
    return `e=${expires}&s=${this.mac(id, expires)}`;
  }

  valid(id: string, expires: number, signature: string, now = Date.now()): boolean {
    if (!Number.isSafeInteger(expires) || expires * 1000 < now) return false;
    return secretEquals(signature, this.mac(id, expires));
  }
}
