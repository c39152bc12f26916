import { timingSafeEqual } from "node:crypto";

/**
 * `X-Telegram-Bot-Api-Secret-Token` against TELEGRAM_WEBHOOK_SECRET in constant time
 * (grammY's `compareSecretToken` does the same). No secret configured: nothing matches.
 */
export function secretMatches(header: string | string[] | undefined, secret: string | undefined): boolean {
  if (!secret || typeof header !== "string") return false;
  const a = Buffer.from(header, "utf8");
  const b = Buffer.from(secret, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}
