import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A browser file served from source: no build step, read once at start-up. */
export interface Asset {
  body: string;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  "widget.js": "text/javascript; charset=utf-8",
  "widget.css": "text/css; charset=utf-8",
};

/**
 * `adapters/webchat/public/`, next to this module when run from source (tsx) or compiled into
 * `dist/` with the folder copied beside it; else from the working directory. Missing files are
 * not fatal: the other channels run on, and the chat's routes say what is missing.
 */
export function loadAssets(): { assets: Record<string, Asset>; missing?: string } {
  const candidates = [
    fileURLToPath(new URL("./public/", import.meta.url)),
    join(process.cwd(), "adapters", "webchat", "public"),
  ];
  const dir = candidates.find((d) => Object.keys(TYPES).every((n) => existsSync(join(d, n))));
  if (!dir) return { assets: {}, missing: `browser files not found (looked in ${candidates.join(", ")})` };
  const assets: Record<string, Asset> = {};
  for (const [name, type] of Object.entries(TYPES)) {
    const body = readFileSync(join(dir, name), "utf8");
    assets[name] = { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"` };
  }
  return { assets };
}
