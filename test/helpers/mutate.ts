/**
 * Property-style mutations of a JSON fixture: every field (nested, array items included)
 * replaced in turn by each value of the wrong type, or deleted. Webhook tests sign each
 * mutant properly and check the server answers it without a 5xx and keeps working.
 */

export type Path = (string | number)[];

/** What each field is replaced with, in turn; `DELETE` removes it (an array item is spliced out). */
export const DELETE = Symbol("delete");
export const REPLACEMENTS: readonly unknown[] = [null, {}, [], 123, "x", true, DELETE];

export interface Mutation {
  path: Path;
  value: unknown;
  /** `message.chat.id=null`, for failure messages. */
  label: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every path into a JSON value (object keys and array indexes, at every depth), the root excluded. */
export function paths(v: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  const children: [string | number, unknown][] = Array.isArray(v)
    ? v.map((x, i) => [i, x])
    : isObject(v)
      ? Object.entries(v)
      : [];
  for (const [k, child] of children) {
    const p = [...prefix, k];
    out.push(p, ...paths(child, p));
  }
  return out;
}

const show = (v: unknown) => (v === DELETE ? "<deleted>" : JSON.stringify(v));

/** Every field of `fixture` × every replacement. */
export function mutations(fixture: unknown): Mutation[] {
  return paths(fixture).flatMap((path) =>
    REPLACEMENTS.map((value) => ({ path, value, label: `${path.join(".")}=${show(value)}` })),
  );
}

/** A deep copy of `fixture` with the mutation applied. */
export function apply<T>(fixture: T, m: Pick<Mutation, "path" | "value">): T {
  const copy = structuredClone(fixture);
  let parent: unknown = copy;
  for (const k of m.path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
  const last = m.path[m.path.length - 1] as string | number;
  if (Array.isArray(parent)) {
    if (m.value === DELETE) parent.splice(Number(last), 1);
    else parent[Number(last)] = m.value;
  } else if (isObject(parent)) {
    if (m.value === DELETE) delete parent[last];
    else parent[last] = m.value;
  }
  return copy;
}

/** Whether a mutation touches `path` or something inside it (e.g. the fixture's dedupe id). */
export const touches = (m: Mutation, path: Path) =>
  m.path.length <= path.length && m.path.every((k, i) => k === path[i]);

/** Errors the server logged while handling requests or processing events (their messages, once each). */
export function processingErrors(logs: string[]): string[] {
  const out = new Set<string>();
  for (const chunk of logs) {
    for (const line of chunk.split("\n")) {
      if (!/processing an event failed|request failed|frame failed/.test(line)) continue;
      try {
        const j = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        out.add(`${j.msg}: ${j.err?.message ?? "?"}`);
      } catch {
        out.add(line.slice(0, 200));
      }
    }
  }
  return [...out];
}
