/**
 * The operators' audit trail: who did what to whose data, and when. Append-only and
 * tamper-evident: each entry carries the hash of the one before it and its own hash over its
 * canonical JSON (src/privacy/chain.ts), so editing or removing an entry in the middle breaks
 * every hash after it. Entries older than the configured period are pruned from the front;
 * the anchor keeps the hash the first remaining entry points back to.
 */

export const AUDIT_ACTIONS = [
  "login",
  "login_failed",
  "logout",
  "read_transcript",
  "export_request",
  "take",
  "assign",
  "reply",
  "note",
  "close",
  "reopen",
  "back_to_bot",
  "export_person",
  "erase_person",
  "operator_add",
  "operator_change",
  "operator_remove",
  "audit_read",
  "retention_sweep",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditInput {
  at: number;
  /** The operator's login name (`api` for the integration token, `system` for the sweeper). */
  actor: string;
  action: AuditAction;
  /** What it was done to: a request id, a person (`zalo:123…`), an operator's name. */
  target?: string;
  /** Facts, never the personal data itself (counts, ids, roles). */
  detail?: Record<string, string | number | boolean>;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  /** The previous entry's hash (the anchor's for the first entry kept). */
  prev: string;
  hash: string;
}

/** Where the chain starts: before any entry, or the last entry pruned. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

export const GENESIS: AuditAnchor = { seq: 0, hash: "0".repeat(64) };

export interface AuditStore {
  /** Adds one entry after the current last one, in one step across processes. */
  append(input: AuditInput): Promise<AuditEntry>;
  /** Entries in order, from `afterSeq` (exclusive), at most `limit`. */
  list(q?: { afterSeq?: number; limit?: number }): Promise<AuditEntry[]>;
  anchor(): Promise<AuditAnchor>;
  /** Removes entries older than `before` (ms) from the front; how many went. */
  prune(before: number): Promise<number>;
}
