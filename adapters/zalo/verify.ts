import { createHash, timingSafeEqual } from "node:crypto";

/**
 * `X-ZEvent-Signature: mac=<hex SHA-256(app_id + raw body + timestamp + OA secret key)>`.
 * A plain hash of the concatenation, not an HMAC (zaloplatform/zalo-java-sdk `MacUtils.buildMac`);
 * `app_id` and `timestamp` are the body's own fields; the key is the OA Secret Key from the
 * app's Webhook page, not the App Secret. The body is hashed as the exact bytes received.
 */
export function zaloMac(appId: string, rawBody: Buffer | string, timestamp: string, oaSecretKey: string): string {
  return createHash("sha256")
    .update(appId, "utf8")
    .update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody)
    .update(timestamp, "utf8")
    .update(oaSecretKey, "utf8")
    .digest("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Whether `header` is the right mac for this body. The `mac=` prefix is optional and matched
 * case-insensitively, upper-case hex is accepted, and the comparison takes constant time.
 */
export function verifyZaloSignature(
  header: string | string[] | undefined,
  rawBody: Buffer,
  appId: string,
  timestamp: string,
  oaSecretKey: string,
): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !appId || !timestamp) return false;
  const got = value
    .trim()
    .replace(/^mac\s*=\s*/i, "")
    .toLowerCase();
  if (!HEX64.test(got)) return false;
  const want = zaloMac(appId, rawBody, timestamp, oaSecretKey);
  return timingSafeEqual(Buffer.from(got, "hex"), Buffer.from(want, "hex"));
}
