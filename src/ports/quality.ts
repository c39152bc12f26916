import type { ChannelId } from "./message.js";

/**
 * The desk's quality loop as the stores keep it: one append-only log of facts the figures
 * are computed from (a conversation seen on a day, a rating asked or given, a question the
 * bot could not answer, a notice sent to the leads). Both backends keep the same log and
 * the figures are computed from it by one function (src/quality/stats.ts), so SQLite and
 * Redis give the same numbers by construction; the store contract checks it.
 */
export type QualityKind = "conversation" | "csat" | "gap" | "notice";

export interface QualityEvent {
  /** Unique per fact: recording the same key twice keeps the first (replays after a crash). */
  key: string;
  kind: QualityKind;
  at: number;
  channel: ChannelId;
  conv?: string;
  requestId?: string;
  /** What the fact says; its shape depends on `kind` (see src/quality/events.ts). */
  data: Record<string, unknown>;
}

export interface QualityStore {
  /** True when the key was new. */
  record(e: QualityEvent): Promise<boolean>;
  /** Events of one kind with `from <= at < to`, oldest first. */
  between(kind: QualityKind, from: number, to: number): Promise<QualityEvent[]>;
}
