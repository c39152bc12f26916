import type { Attachment, OutboundMessage } from "../ports/message.js";
import type { RequestDraft, TranscriptEntry } from "../ports/requests.js";
import type { RequestStatus } from "../ports/session.js";
import type { Priority } from "../ports/vocabulary.js";

/**
 * Stands for the id of the request created earlier in the same turn (by its
 * `request.create` action): the id is allocated by the request store, which is I/O the
 * engine does not do. The runtime reads every `requestId` through `resolveRequestId()`.
 */
export const NEW_REQUEST = "$new";

/** The placeholder a reply about the new request keeps in its text until the id is known. */
export const REQUEST_ID_PLACEHOLDER = "{request_id}";

/** What the engine decided; the runtime carries it out, in order. */
export type Action =
  /**
   * The bot says something to the user. `requestId`: the request whose id fills
   * `{request_id}` in the text (the new request's, known only once it is created).
   */
  | { type: "reply"; message: OutboundMessage; requestId?: string }
  /** A person's message, relayed to the user; a failure is reported back to operators. */
  | { type: "relay"; requestId: string; message: OutboundMessage }
  /** Open a request; `handoff`: a person takes the conversation (the bot goes quiet). */
  | { type: "request.create"; draft: RequestDraft; handoff: boolean }
  | {
      type: "request.update";
      requestId: string;
      status?: RequestStatus;
      priority?: Priority;
      handoff?: boolean;
      assignee?: string;
      fields?: Record<string, string>;
      /** The operator who caused the change (shown in the operators' group). */
      by?: string;
      /** For a close: a person or the system. */
      closedBy?: "person" | "auto";
    }
  /** A fact for the quality loop (a rating asked, given or skipped); the runtime adds channel and time. */
  | { type: "quality"; key: string; kind: "csat"; requestId: string; data: Record<string, unknown> }
  /**
   * Add to a request's transcript (a line said, or an `event`); `mirror`: also show it to the
   * operators handling it.
   */
  | { type: "request.append"; requestId: string; line: TranscriptEntry; attachments?: Attachment[]; mirror: boolean };

/**
 * The real id behind an action's `requestId`: `NEW_REQUEST` is the request created earlier in
 * the same turn (`created`). The engine creates a request before it refers to it; a reference
 * without one is a bug, not something to send.
 */
export function resolveRequestId(id: string, created: string | undefined): string {
  if (id !== NEW_REQUEST) return id;
  if (created === undefined) throw new Error("an action refers to the new request before its request.create");
  return created;
}

/** A reply's text with its request's id filled in. */
export function withRequestId(message: OutboundMessage, requestId: string): OutboundMessage {
  return message.text === undefined
    ? message
    : { ...message, text: message.text.replaceAll(REQUEST_ID_PLACEHOLDER, requestId) };
}
