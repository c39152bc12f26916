import type { Attachment, OutboundMessage } from "../ports/message.js";
import type { RequestDraft } from "../ports/requests.js";
import type { RequestStatus, TranscriptLine } from "../ports/session.js";
import type { Priority } from "../ports/vocabulary.js";

/**
 * Stands for the id of the request created earlier in the same turn; the runtime swaps in
 * the real id (it is allocated by the request store, which is I/O the engine does not do).
 * Text keeps the `{request_id}` placeholder for the same reason.
 */
export const NEW_REQUEST = "$new";

/** What the engine decided; the runtime carries it out, in order. */
export type Action =
  /** The bot says something to the user. */
  | { type: "reply"; message: OutboundMessage }
  /** A person's message goes to the user; a failure is reported back to operators. */
  | { type: "deliver"; requestId: string; message: OutboundMessage }
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
    }
  /** Add to a request's transcript; `mirror`: also show it to the operators handling it. */
  | { type: "request.append"; requestId: string; line: TranscriptLine; attachments?: Attachment[]; mirror: boolean };
