import type { ControlEvent } from "../engine/engine.js";
import type { ChannelId, InboundEvent, OutboundMessage } from "../model/message.js";

/**
 * The seams between intake, processing and delivery. The embedded store implements them on
 * SQLite, the scaled-out deployment on Redis; the runtime only sees these interfaces.
 */

export type InboxBody =
  | { type: "event"; event: InboundEvent }
  | { type: "control"; event: ControlEvent; at: number }
  /** An update from the operators' group, in the platform's own shape. */
  | { type: "ops"; update: unknown };

export interface InboxItem {
  /** Dedupe key: a redelivery with the same key is acknowledged and dropped. */
  key: string;
  /** Conversation key: items of one conversation are processed one at a time, in order. */
  conv: string;
  body: InboxBody;
}

export type InboxHandler = (item: InboxItem) => Promise<void>;

export interface Inbox {
  /**
   * Durably record the items whose key was not seen before. Resolves (with, per item,
   * whether it was new) only once they are safe: this is when a webhook may answer 200.
   */
  record(items: InboxItem[]): Promise<boolean[]>;
  /** Begin handing recorded items to `handler`; `recover` also picks up what a previous run left. */
  start(handler: InboxHandler, opts?: { recover?: boolean }): void;
  /**
   * Stop taking new items and wait for those in progress; until `drainUntil` (ms since
   * epoch), first finish what is already recorded (what is left stays in the store).
   */
  stop(opts?: { drainUntil?: number }): Promise<void>;
  /** Items recorded and not yet processed (for tests and readiness). */
  pending(): Promise<number>;
}

/** One message to deliver, rendered for its channel already. */
export interface SendJob {
  kind: "send";
  channel: ChannelId;
  userId: string;
  conv: string;
  message: OutboundMessage;
  /** Set when a person wrote it: a failure is reported to operators. */
  requestId?: string;
  byPerson?: boolean;
  /** When the user last wrote (ms): channels with a messaging window need it. */
  userLastAt?: number;
  meta?: Record<string, string>;
}

/** Something to do in the operators' group (post a request, mirror a message, report a failure). */
export interface OpsJob {
  kind: "ops";
  requestId: string;
  op: "post" | "mirror" | "update" | "failure" | "closed" | "taken" | "back_to_bot";
  /** The operator who acted, for "closed", "taken" and "back_to_bot". */
  operator?: string;
  text?: string;
  attachments?: { type: string; url?: string; fileId?: string }[];
}

export type OutboxBody = SendJob | OpsJob;

export interface OutboxJob {
  /** Idempotency key: enqueueing the same key twice sends once. */
  key: string;
  /** Jobs of one lane are delivered one at a time, in order (a conversation, or a request's topic). */
  lane: string;
  body: OutboxBody;
}

export type SendOutcome =
  | { ok: true }
  | { ok: false; permanent: true; error: string }
  | { ok: false; permanent: false; error: string; retryAfterMs?: number };

export type Sender = (job: OutboxJob, attempt: number) => Promise<SendOutcome>;

export interface Outbox {
  enqueue(jobs: OutboxJob[]): Promise<void>;
  start(sender: Sender, opts?: { recover?: boolean; onFailure?: (job: OutboxJob, error: string) => void }): void;
  /** As `Inbox.stop`: jobs waiting for a later retry are not waited for. */
  stop(opts?: { drainUntil?: number }): Promise<void>;
  pending(): Promise<number>;
}

/** Exponential backoff with full jitter, capped; a platform's `retry_after` wins when longer. */
export function backoffMs(attempt: number, retryAfterMs = 0, base = 500, cap = 60_000): number {
  const exp = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.max(retryAfterMs, Math.round(jittered));
}
