import { createHash } from "node:crypto";
import type { AuditAnchor, AuditEntry, AuditInput, AuditStore } from "../ports/audit.js";

/** JSON with keys sorted at every level: the same entry always hashes the same, whichever store read it back. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
}

/** The entry after `prev`: its hash covers every field but itself, the previous hash included. */
export function chainEntry(input: AuditInput, prev: AuditAnchor): AuditEntry {
  const body = { ...input, seq: prev.seq + 1, prev: prev.hash };
  return { ...body, hash: hashOf(body) };
}

function hashOf(body: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

export type Verdict = { ok: true; entries: number; head: AuditAnchor } | { ok: false; seq: number; reason: string };

/**
 * Walks the whole chain from its anchor: every entry must hash to its own `hash`, point at
 * the previous one's, and follow it by one. The first break is reported.
 */
export async function verifyChain(store: AuditStore, pageSize = 1000): Promise<Verdict> {
  let prev = await store.anchor();
  let n = 0;
  for (;;) {
    const page = await store.list({ afterSeq: prev.seq, limit: pageSize });
    if (page.length === 0) return { ok: true, entries: n, head: prev };
    for (const e of page) {
      const { hash, ...body } = e;
      if (e.seq !== prev.seq + 1) return { ok: false, seq: e.seq, reason: `expected entry ${prev.seq + 1}` };
      if (e.prev !== prev.hash) return { ok: false, seq: e.seq, reason: "does not point at the previous entry" };
      if (hashOf(body) !== hash) return { ok: false, seq: e.seq, reason: "its content does not match its hash" };
      prev = { seq: e.seq, hash };
      n++;
    }
  }
}
