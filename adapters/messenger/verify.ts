import { createHmac, timingSafeEqual } from "node:crypto";
import { secretEquals } from "../../src/security/compare.js";

/**
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>` (notes/messenger.md §2).
 * Meta signs the bytes it sent (`\u00e4`, `\/` escapes), so the check runs over the raw
 * Buffer, before anything parses it. A missing or malformed header fails.
 */
export function verifySignature(raw: Buffer, header: string | string[] | undefined, appSecret: string): boolean {
  if (typeof header !== "string") return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1], "hex");
  const expected = createHmac("sha256", appSecret).update(raw).digest();
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** The header value Meta would send for `raw` (tests and local tools). */
export function signatureFor(raw: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`;
}

export type VerificationResult = { ok: true; challenge: string } | { ok: false };

/**
 * The GET handshake (notes/messenger.md §1): `hub.mode=subscribe` and `hub.verify_token`
 * equal to ours → answer `hub.challenge` unchanged, else refuse.
 */
export function verifySubscription(query: unknown, verifyToken: string): VerificationResult {
  const q = (query ?? {}) as Record<string, unknown>;
  const mode = q["hub.mode"];
  const token = q["hub.verify_token"];
  const challenge = q["hub.challenge"];
  if (mode !== "subscribe" || typeof token !== "string" || typeof challenge !== "string") return { ok: false };
  if (!secretEquals(token, verifyToken)) return { ok: false };
  return { ok: true, challenge };
}

/** `appsecret_proof` for Graph API calls: hex HMAC-SHA256(app secret, access token). */
export function appSecretProof(accessToken: string, appSecret: string): string {
  return createHmac("sha256", appSecret).update(accessToken).digest("hex");
}
