import type { ChannelId } from "./message.js";
import type { RequestRecord, TranscriptEntry } from "./requests.js";

/**
 * Personal data as the stores hold it, per person (one user on one channel): gathered for an
 * export, erased on request, and swept when its period is over. Both backends implement it.
 */

export interface Person {
  channel: ChannelId;
  userId: string;
}

export const RETENTION_KINDS = [
  "transcripts",
  "requests",
  "media",
  "sessions",
  "dedupe",
  "webchat_visitors",
  "audit",
] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];
/** How long each kind is kept, in milliseconds. */
export type Retention = Record<RetentionKind, number>;

/** Everything one store keeps about a person. */
export interface HeldData {
  conv: string;
  /** The conversation's state (language, name, recent lines, form answers, consent). */
  session?: unknown;
  requests: { record: RequestRecord; transcript: TranscriptEntry[] }[];
  /** Small values keyed by the person (a channel's caches, the live chat's history). */
  values: { key: string; value: unknown }[];
  /** Messages received or queued for sending and not yet done with. */
  queued: unknown[];
}

export interface Erasure {
  session: boolean;
  /** Requests kept as anonymous statistics (intent, priority, status, times). */
  requests: string[];
  transcriptLines: number;
  values: number;
  queued: number;
}

export interface Swept {
  transcriptLines: number;
  requests: number;
  sessions: number;
  dedupe: number;
  values: number;
}

/** One person's data as it stood at a moment (breach readiness). */
export interface HeldAt {
  conv: string;
  /** Kinds of data held then: `request:HT-000001`, `fields:phone,account`, `transcript:12`… */
  kinds: string[];
}

export interface PeopleStore {
  collect(p: Person): Promise<HeldData>;
  /** Deletes what is kept about the person; requests stay as anonymous statistics. */
  erase(p: Person): Promise<Erasure>;
  /** Deletes for good what is past its period (`now` minus each kind's period). */
  sweep(retention: Retention, now: number): Promise<Swept>;
  /** Who had data held at `at`, by what is still held from before then. */
  heldAt(at: number): Promise<HeldAt[]>;
}

/** A store outside the backend that keeps personal data too (media files, a channel's own records). */
export interface PersonalDataHolder {
  name: string;
  /** `held`: what the backend keeps about the person (a holder may find its part through it). */
  collect?(p: Person, held: HeldData): Promise<unknown>;
  erase(p: Person, held: HeldData): Promise<number>;
  sweep?(retention: Retention, now: number): Promise<number>;
}
