import type { Attachment, ChannelId } from "./message.js";
import type { RequestStatus, TranscriptLine } from "./session.js";
import type { Priority } from "./vocabulary.js";

/** What the engine asks for when it files a request; the store gives it an id and keeps it. */
export interface RequestDraft {
  intent: string;
  title: string;
  priority: Priority;
  /** Field label → answer, in the order asked. */
  fields: Record<string, string>;
  transcript: TranscriptLine[];
  /** The escalation rule that created it, if a rule did. */
  rule?: string;
  /** When it must be answered by (ms): a person's request about their data has a legal deadline. */
  dueAt?: number;
}

/** A support request as operators and the API see it. */
export interface RequestRecord {
  id: string;
  conv: string;
  channel: ChannelId;
  userId: string;
  displayName?: string;
  intent: string;
  title: string;
  priority: Priority;
  status: RequestStatus;
  fields: Record<string, string>;
  rule?: string;
  /** A person was asked to take the conversation (not only a filed request). */
  handoff: boolean;
  assignee?: string;
  createdAt: number;
  updatedAt: number;
  /** Where the request lives in the operators' group. */
  ops?: { chatId: string; threadId?: number; rootMessageId?: number };
  /** Last delivery failure shown to operators (closed window, blocked bot…). */
  lastError?: string;
  /**
   * Listed in this notice of the operators' group (a flood) rather than given a topic of its
   * own; an operator opens it with `/open <id>`.
   */
  notice?: string;
  /** A person's first answer to the user (the first-response clock stops). */
  firstResponseAt?: number;
  /** When the request was resolved (the last time, if it was reopened). */
  resolvedAt?: number;
  /** `person`: an operator closed it; `auto`: the system did (no rating is asked then). */
  closedBy?: "person" | "auto";
  /** The user is waiting on us since (their message after our last answer); 0: not waiting. */
  awaitingSince?: number;
  /** We are waiting on the user since (a person answered); 0: not waiting. The clocks pause. */
  onUserSince?: number;
  /** Business minutes spent waiting on the user so far (taken off the resolution clock). */
  pausedMinutes?: number;
  /** When it must be answered by (ms), e.g. the legal deadline of a request about personal data. */
  dueAt?: number;
}

/** What happened to a request, shown in its transcript (the console, exports). */
export type RequestEvent =
  | "escalated"
  | "taken"
  | "assigned"
  | "closed"
  | "reopened"
  | "back_to_bot"
  /** The platform's own inbox (`by`: Messenger's Page Inbox) has the conversation: the user's words reach it first. */
  | "inbox";

export interface TranscriptEntry extends TranscriptLine {
  attachments?: Attachment[];
  /**
   * Absent: a message that was said. `note`: operators' words, never sent to the user.
   * `event`: something that happened to the request (`event`, `by`, `rule`). `failure`: the
   * message `ref` could not be delivered (`text` says why).
   */
  kind?: "note" | "event" | "failure";
  /** A message's own id, for a `failure` entry to point at. */
  id?: string;
  /** The person who wrote or acted. */
  by?: string;
  ref?: string;
  event?: RequestEvent;
  /** The escalation rule, for an `escalated` event. */
  rule?: string;
  /** Whom an `assigned` request went to (login name). */
  to?: string;
}

export interface RequestFilter {
  status?: RequestStatus;
  priority?: Priority;
  channel?: ChannelId;
  conv?: string;
  /** Created at or after this instant (ms). */
  createdFrom?: number;
  /** Created before this instant (ms). */
  createdTo?: number;
  limit?: number;
}

export interface NewRequest {
  conv: string;
  channel: ChannelId;
  userId: string;
  displayName?: string;
  draft: RequestDraft;
  handoff: boolean;
  /** Identifies the turn that asked for it: creating twice from one turn returns the same request. */
  idempotencyKey: string;
}

export type RequestPatch = Partial<
  Pick<
    RequestRecord,
    | "status"
    | "priority"
    | "handoff"
    | "assignee"
    | "ops"
    | "lastError"
    | "fields"
    | "displayName"
    | "notice"
    | "firstResponseAt"
    | "resolvedAt"
    | "closedBy"
    | "awaitingSince"
    | "onUserSince"
    | "pausedMinutes"
  >
>;

export interface RequestStore {
  create(r: NewRequest, now: number): Promise<RequestRecord>;
  get(id: string): Promise<RequestRecord | undefined>;
  update(id: string, patch: RequestPatch, now: number): Promise<RequestRecord | undefined>;
  /** Idempotent per `lineKey`. */
  append(id: string, lineKey: string, entry: TranscriptEntry): Promise<void>;
  transcript(id: string): Promise<TranscriptEntry[]>;
  list(filter: RequestFilter): Promise<RequestRecord[]>;
}
