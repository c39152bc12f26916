import { createHash, randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { type CoreEnv, EnvError, parseEnvWith } from "../../src/config/env.js";
import { createLogger } from "../../src/config/log.js";
import { loadContent } from "../../src/content/load.js";
import type { Backend } from "../../src/ports/backend.js";
import { runCli } from "../../src/shell/run.js";
import { DEFAULT_DELIVERY } from "../../src/store/options.js";
import { backendFor } from "../../src/store/select.js";
import { ZaloClient } from "./client.js";
import { type ZaloEnv, zaloEnv } from "./env.js";
import { fingerprint, recordFromResponse, tokenKey } from "./tokens.js";
import type { TokenRecord } from "./types.js";

/**
 * `npm run zalo:authorize`: the first authorisation of the Zalo OA (or a new one after the
 * grant was lost). OAuth v4 with PKCE (S256):
 *
 *   npm run zalo:authorize                      prints the consent URL, then asks for the code
 *   npm run zalo:authorize -- <code | callback URL>   exchanges a code from an earlier run
 *
 * An OA admin opens the URL, approves, and lands on the app's callback URL with
 * `?code=…&oa_id=…&state=…`; paste the code or that whole URL (the code is single-use and
 * valid 10 minutes). The verifier is kept in the store for 15 minutes, so the code can be
 * given to a second run. The pair is written where the server reads it (SQLite in DATA_DIR,
 * or Redis when REDIS_URL is set); a running server picks it up without a restart.
 * The redirect URI (the app's "Official Account Callback Url") comes from
 * `--redirect-uri=<url>` or ZALO_REDIRECT_URI. Tokens are never printed.
 */

const PENDING_TTL = 15 * 60_000;
const pendingKey = (appId: string) => `zalo:pkce:${appId}`;

interface Pending {
  verifier: string;
  state: string;
  redirectUri: string;
  createdAt: number;
}

export interface AuthorizeIO {
  env: CoreEnv & ZaloEnv;
  /** ZALO_REDIRECT_URI (read from process.env: not part of the env schema). */
  redirectUriEnv?: string | undefined;
  /** Reads the code: one line typed (TTY) or everything piped; undefined when nothing came. */
  readCode: (interactive: boolean) => Promise<string | undefined>;
  stdinIsTTY: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The store; built from the environment as the server does when absent. */
  backend?: Pick<Backend, "kv" | "withLock" | "close" | "kind">;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: challengeFor(verifier) };
}

export const challengeFor = (verifier: string) => createHash("sha256").update(verifier, "ascii").digest("base64url");

export function consentUrl(oauthUrl: string, appId: string, redirectUri: string, challenge: string, state: string) {
  const q = new URLSearchParams({ app_id: appId, redirect_uri: redirectUri, code_challenge: challenge, state });
  return `${oauthUrl.replace(/\/+$/, "")}/v4/oa/permission?${q.toString()}`;
}

/** A code, or a pasted callback URL (`…?code=…&state=…`). */
export function parseCodeInput(input: string): { code: string; state?: string } | undefined {
  const t = input.trim();
  if (!t) return undefined;
  if (/^https?:\/\//i.test(t) || t.includes("code=")) {
    const qs = t.includes("?") ? t.slice(t.indexOf("?") + 1) : t;
    const q = new URLSearchParams(qs.split("#")[0]);
    const code = q.get("code");
    if (!code) return undefined;
    const state = q.get("state");
    return state ? { code, state } : { code };
  }
  return { code: t };
}

function buildBackend(env: CoreEnv & ZaloEnv): Backend {
  const log = createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : "warn");
  const config = loadContent({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR }).content?.config;
  return backendFor(env, log, config ?? { brand: { name: "", request_prefix: "HT" }, delivery: DEFAULT_DELIVERY });
}

/** Runs the command; resolves with the exit code. */
export async function authorize(argv: string[], io: AuthorizeIO): Promise<number> {
  const { env } = io;
  if (!env.ZALO_APP_ID || !env.ZALO_APP_SECRET) {
    io.err("zalo:authorize needs ZALO_APP_ID and ZALO_APP_SECRET (the App ID and App Secret of developers.zalo.me).");
    return 1;
  }
  const appId = env.ZALO_APP_ID;
  const appSecret = env.ZALO_APP_SECRET;
  const flag = argv.find((a) => a.startsWith("--redirect-uri="));
  const redirectUri = flag ? flag.slice("--redirect-uri=".length) : io.redirectUriEnv;
  const positional = argv.filter((a) => !a.startsWith("--"));

  const backend = io.backend ?? buildBackend(env);
  try {
    let input = positional.join(" ").trim() || undefined;
    let pending: Pending | undefined;
    if (!input && !io.stdinIsTTY) input = (await io.readCode(false))?.trim() || undefined;

    if (!input) {
      if (!redirectUri) {
        io.err(
          "Set the redirect URI: --redirect-uri=<url> or ZALO_REDIRECT_URI (the app's Official Account Callback Url on developers.zalo.me).",
        );
        return 1;
      }
      const { verifier, challenge } = pkcePair();
      const state = randomBytes(12).toString("base64url");
      pending = { verifier, state, redirectUri, createdAt: Date.now() };
      await backend.kv.set(pendingKey(appId), pending, PENDING_TTL);
      io.out("1. An admin of the Official Account opens this URL and approves the permissions:");
      io.out("");
      io.out(`   ${consentUrl(env.ZALO_OAUTH_URL, appId, redirectUri, challenge, state)}`);
      io.out("");
      io.out("2. Zalo redirects to the callback URL with ?code=…&oa_id=…&state=… (the code is valid 10 minutes).");
      if (!io.stdinIsTTY) {
        io.out("3. Run: npm run zalo:authorize -- '<the code, or the whole callback URL>'");
        return 0;
      }
      io.out("3. Paste the code, or the whole callback URL, here:");
      input = (await io.readCode(true))?.trim() || undefined;
      if (!input) {
        io.out("No code given. Run: npm run zalo:authorize -- '<the code, or the whole callback URL>'");
        return 1;
      }
    }

    const parsed = parseCodeInput(input);
    if (!parsed) {
      io.err("That is neither a code nor a callback URL with ?code=…");
      return 1;
    }
    pending ??= (await backend.kv.get(pendingKey(appId))) as Pending | undefined;
    if (!pending?.verifier) {
      io.err("No consent URL was issued in the last 15 minutes: run `npm run zalo:authorize` first, then use its URL.");
      return 1;
    }
    if (parsed.state && parsed.state !== pending.state) {
      io.err("The callback's state does not match the last consent URL: run `npm run zalo:authorize` again.");
      return 1;
    }

    const client = new ZaloClient({ apiUrl: env.ZALO_API_URL, oauthUrl: env.ZALO_OAUTH_URL });
    let res: Awaited<ReturnType<ZaloClient["oauthToken"]>>;
    try {
      res = await client.oauthToken(appSecret, {
        app_id: appId,
        grant_type: "authorization_code",
        code: parsed.code,
        code_verifier: pending.verifier,
      });
    } catch (err) {
      io.err(`Could not reach Zalo: ${(err as Error).message}`);
      return 1;
    } finally {
      await client.close();
    }
    const j = res.json;
    const fresh = recordFromResponse(j, undefined, "authorize", Date.now());
    if (!fresh || res.status >= 300) {
      const why = [j?.error !== undefined ? `error ${j.error}` : `HTTP ${res.status}`, j?.error_name, j?.message]
        .filter(Boolean)
        .join(" ");
      io.err(`Zalo refused the code (${why}). Codes are single-use and expire after 10 minutes: start again.`);
      return 1;
    }

    // One writer at a time, like the server's refresh; the version moves past the stored one.
    const key = tokenKey(appId);
    const stored = await backend.withLock("zalo-token", 30_000, async () => {
      const prev = (await backend.kv.get(key)) as TokenRecord | undefined;
      const rec: TokenRecord = { ...fresh, version: (prev?.version ?? 0) + 1 };
      await backend.kv.set(key, rec);
      return rec;
    });
    await backend.kv.delete(pendingKey(appId));
    const back = (await backend.kv.get(key)) as TokenRecord | undefined;
    const ok = back?.refreshToken === stored.refreshToken && back.accessToken === stored.accessToken;
    if (!ok) {
      io.err("The token pair could not be read back from the store: do not authorise again before checking the store.");
      return 1;
    }
    const where = backend.kind === "redis" ? "Redis (REDIS_URL)" : `SQLite in ${env.DATA_DIR}`;
    io.out(`Refresh token stored: yes (read back and verified) in ${where}, version ${stored.version}.`);
    io.out(`Access token valid until ${new Date(stored.accessExpiresAt).toISOString()}.`);
    io.out(
      `Refresh token fingerprint sha256:${fingerprint(stored.refreshToken).slice(0, 12)}… (the token itself is never printed).`,
    );
    io.out("A running server uses the new pair at its next send; no restart is needed.");
    return 0;
  } finally {
    if (!io.backend) await backend.close();
  }
}

async function readStdin(interactive: boolean): Promise<string | undefined> {
  if (interactive) {
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question("> ");
    } catch {
      return undefined;
    } finally {
      rl.close();
    }
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  let env: CoreEnv & ZaloEnv;
  try {
    env = parseEnvWith(zaloEnv);
  } catch (err) {
    console.error(err instanceof EnvError ? err.message : err);
    process.exit(1);
  }
  const code = await authorize(process.argv.slice(2), {
    env,
    redirectUriEnv: process.env.ZALO_REDIRECT_URI,
    readCode: readStdin,
    stdinIsTTY: !!process.stdin.isTTY,
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  });
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli("zalo:authorize", async () => {
    await main();
    return 0;
  });
}
