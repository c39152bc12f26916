import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Lang } from "../../ports/vocabulary.js";

/** A browser file served by the console's routes: read once at start-up, no build step. */
export interface Asset {
  body: string;
  type: string;
  etag: string;
}

const JS = "text/javascript; charset=utf-8";
const OWN: Record<string, string> = {
  "app.js": JS,
  "live.js": JS,
  "dashboard.js": JS,
  "app.css": "text/css; charset=utf-8",
  "strings.json": "application/json; charset=utf-8",
};

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`,
});

/** `src/server/console/public/`, next to this module (tsx) or copied beside `dist/`; else from the working directory. */
function publicDir(): string | undefined {
  const candidates = [
    fileURLToPath(new URL("./public/", import.meta.url)),
    join(process.cwd(), "src", "server", "console", "public"),
  ];
  return candidates.find((d) => Object.keys(OWN).every((n) => existsSync(join(d, n))));
}

/**
 * Preact, its hooks and htm as ES modules, from node_modules: the console needs no CDN and no
 * bundler. The hooks module imports the bare name "preact", which a browser cannot resolve
 * without an import map (an inline script the CSP would have to allow), so it is pointed at
 * the file served next to it.
 */
function vendor(): Record<string, Asset> {
  const require = createRequire(import.meta.url);
  // The packages' `exports` hide their files' paths: find each package's CommonJS entry, and
  // its ES module build next to it.
  const read = (spec: string, file: string) =>
    readFileSync(join(dirname(require.resolve(spec)), file), "utf8").replace(/\n\/\/# sourceMappingURL=.*$/m, "");
  return {
    "preact.mjs": asset(read("preact", "preact.module.js"), JS),
    "hooks.mjs": asset(read("preact/hooks", "hooks.module.js").replace(/from\s*"preact"/g, 'from"./preact.mjs"'), JS),
    "htm.mjs": asset(read("htm", "htm.module.js"), JS),
    // uPlot for the leads' dashboard: its ES module build and its stylesheet, no dependencies.
    "uplot.mjs": asset(read("uplot", "uPlot.esm.js"), JS),
    "uplot.css": asset(read("uplot", "uPlot.min.css"), "text/css; charset=utf-8"),
  };
}

export interface ConsoleFiles {
  own: Record<string, Asset>;
  vendor: Record<string, Asset>;
  strings: Record<Lang, Record<string, string>>;
  /** Why the console cannot be served, when a file is missing. */
  missing?: string;
}

export function loadConsoleFiles(): ConsoleFiles {
  const dir = publicDir();
  let vendorFiles: Record<string, Asset> = {};
  let missing: string | undefined;
  try {
    vendorFiles = vendor();
  } catch (err) {
    missing = `preact/htm/uplot not found in node_modules (${err instanceof Error ? err.message : String(err)})`;
  }
  if (!dir) {
    return {
      own: {},
      vendor: vendorFiles,
      strings: { vi: {}, en: {} },
      missing: "the console's browser files are missing (src/server/console/public)",
    };
  }
  const own: Record<string, Asset> = {};
  for (const [name, type] of Object.entries(OWN)) own[name] = asset(readFileSync(join(dir, name), "utf8"), type);
  const strings = JSON.parse(own["strings.json"]?.body ?? "{}") as Record<Lang, Record<string, string>>;
  return { own, vendor: vendorFiles, strings, ...(missing ? { missing } : {}) };
}

let cached: ConsoleFiles | undefined;
export function consoleFiles(): ConsoleFiles {
  cached ??= loadConsoleFiles();
  return cached;
}

/** A console string, filled. */
export function say(lang: Lang, key: string, vars: Record<string, string | number> = {}): string {
  const s = consoleFiles().strings[lang]?.[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m));
}
