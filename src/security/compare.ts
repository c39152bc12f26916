import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Constant-time equality for credentials (bearer tokens, webhook secrets, verify tokens).
 * Both sides are hashed first, so the comparison takes the same time whatever the lengths:
 * `timingSafeEqual` alone needs equal lengths, and checking them first would tell an
 * attacker the secret's length. No expected value configured: nothing matches.
 */
export function secretEquals(given: unknown, expected: string | undefined): boolean {
  if (!expected || typeof given !== "string") return false;
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
