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

/**
 * A copy of a JSON value with objects and arrays nested deeper than `depth` left out (an
 * array keeps its length: a dropped item reads as null). For payloads kept as they came
 * (the operators' group updates): any body fits in 1 MiB, but one nested thousands of levels
 * deep parses fine and then overflows the stack when serialised to be recorded.
 */
export function boundedCopy(v: unknown, depth: number): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (depth <= 0) return undefined;
  if (Array.isArray(v)) return v.map((x) => boundedCopy(x, depth - 1) ?? null);
  const out: Rec = {};
  for (const [k, x] of Object.entries(v)) {
    const c = boundedCopy(x, depth - 1);
    if (c !== undefined) out[k] = c;
  }
  return out;
}
