import { secretEquals } from "../../src/security/compare.js";

/**
 * `X-Telegram-Bot-Api-Secret-Token` against TELEGRAM_WEBHOOK_SECRET in constant time
 * (grammY's `compareSecretToken` does the same). No secret configured: nothing matches.
 */
export function secretMatches(header: string | string[] | undefined, secret: string | undefined): boolean {
  return secretEquals(header, secret);
}
