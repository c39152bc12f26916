import type { ControlEvent } from "./control.js";
import type { ChannelId, InboundEvent, OutboundMessage } from "./message.js";

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
  /** The transcript entry of the person's message (its `id`): a failure is shown on it. */
  line?: string;
  /** When the user last wrote (ms): channels with a messaging window need it. */
  userLastAt?: number;
  meta?: Record<string, string>;
  /**
   * The operators' action this message follows from (`request_closed`, `back_to_bot`,
   * `operator_message`…); absent for the bot's own answers to the user. A channel whose
   * platform inbox shares the conversation (Messenger) takes the thread back for these.
   */
  control?: ControlEvent["kind"];
}

/** Something to do in the operators' group (post a request, mirror a message, report a failure). */
export interface OpsJob {
  kind: "ops";
  requestId: string;
  op:
    | "post"
    | "mirror"
    | "relay"
    | "note"
    | "update"
    | "failure"
    | "closed"
    | "taken"
    | "back_to_bot"
    | "reopened"
    | "notice"
    /** The platform's own inbox (Messenger's Page Inbox, named in `text`) has the conversation. */
    | "inbox"
    /** A notice for the leads (`text`): in the request's topic, or the group itself when `requestId` is empty. */
    | "lead";
  /** The operator who acted, for "closed", "taken", "back_to_bot", "reopened" and "relay" (a console reply). */
  operator?: string;
  /** For "notice": the notice (`src/runtime/notices.ts`) that lists this request among others. */
  notice?: string;
  /**
   * Gives way in the operators' group: sent only while other jobs wait for nothing and a
   * reserve is left for them (requests of a channel anyone can flood: the live chat).
   */
  yields?: boolean;
  text?: string;
  attachments?: import("./message.js").Attachment[];
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
  | {
      ok: false;
      permanent: true;
      error: string;
      /** Why, in a word metrics and the console can group by (default `other`). */
      reason?: FailureReason;
    }
  /**
   * A retry. `retryAfterMs` is the platform's own wait (429) or, with `paced`, the adapter's
   * own pacing: neither uses up an attempt, since the message did nothing wrong.
   */
  | {
      ok: false;
      permanent: false;
      error: string;
      retryAfterMs?: number;
      paced?: boolean;
      /**
       * The platform is out of reach (its channel is `unreachable`): the failure is not the
       * message's, so it spends no attempt; backoff still grows, and the age cap ends it.
       */
      outage?: boolean;
      /** Nothing was sent: the outbox held the message back while its platform is out of reach. */
      held?: boolean;
    };

/** Why a message could not be delivered for good. */
export type FailureReason = "window_closed" | "blocked" | "auth" | "other";

export type Sender = (job: OutboxJob, attempt: number) => Promise<SendOutcome>;

export interface Outbox {
  enqueue(jobs: OutboxJob[]): Promise<void>;
  start(
    sender: Sender,
    opts?: { recover?: boolean; onFailure?: (job: OutboxJob, last: Extract<SendOutcome, { ok: false }>) => void },
  ): void;
  /** As `Inbox.stop`: jobs waiting for a later retry are not waited for. */
  stop(opts?: { drainUntil?: number }): Promise<void>;
  pending(): Promise<number>;
}
