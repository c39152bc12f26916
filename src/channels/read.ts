/**
 * Small readers for platform payloads at the edge. A webhook body is `unknown` until it has
 * been read through these: a field of the wrong type reads as absent (never a throw), so an
 * event of an unexpected shape maps to nothing and is acknowledged instead of failing the
 * request, or failing later in a conversation's lane.
 */

export type Rec = Record<string, unknown>;

/** A JSON object (not null, not an array), or undefined. */
export function asRecord(v: unknown): Rec | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;
}

/** An array, or an empty one for anything else. */
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A string (possibly empty), or undefined. */
export function readString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A string with something besides white space in it, or undefined. */
export function readText(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? v : undefined;
}

/** A finite number, or undefined (numeric strings are not numbers). */
export function readNumber(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** An id: a non-blank string as it is, a safe integer as its digits; anything else undefined. */
export function readId(v: unknown): string | undefined {
  if (typeof v === "string") return v.trim() ? v : undefined;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** Only `true` is true: `"x"`, `1` or `{}` are not a flag that is set. */
export function readFlag(v: unknown): boolean {
  return v === true;
}
