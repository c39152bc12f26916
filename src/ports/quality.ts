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
  /** The facts about one conversation or its requests (a person's export). */
  ofPerson(conv: string, requestIds: readonly string[]): Promise<QualityEvent[]>;
  /** Takes a person out of the log (`withoutPerson`); returns how many facts changed or went. */
  forget(conv: string, requestIds: readonly string[]): Promise<number>;
  /** The same for every fact older than `before` (the transcripts' retention). */
  forgetBefore(before: number): Promise<number>;
}

/**
 * A fact with its person taken out (an erasure, or the transcripts' retention ended): an
 * unanswered question (its text) and a notice to the leads (it quotes the request) go;
 * conversations and ratings stay for the figures, tied to nobody and without the comment.
 * `undefined`: delete the fact; the same object: nothing to change.
 */
export function withoutPerson(e: QualityEvent, anonymousKey: () => string): QualityEvent | undefined {
  if (e.kind === "gap" || e.kind === "notice") return undefined;
  if (e.conv === undefined && !("comment" in e.data)) return e;
  const { comment: _comment, ...data } = e.data;
  const out: QualityEvent = { key: e.key, kind: e.kind, at: e.at, channel: e.channel, data };
  if (e.requestId !== undefined) out.requestId = e.requestId;
  // A conversation's key names it (`conv:<channel>:<user>|<day>`): a new one that names nobody.
  if (e.conv !== undefined && e.key.includes(e.conv)) out.key = `${e.kind}:~${anonymousKey()}`;
  return out;
}
