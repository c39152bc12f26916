/**
 * Messenger Platform payloads, as far as this adapter reads or writes them
 * (../shared/notes/messenger.md §3, §5, §6). Everything inbound is optional: Meta adds
 * fields over time and old deliveries lack new ones, so the mapping reads defensively.
 */

/** The webhook envelope: `object` is "page" for Messenger. */
export interface WebhookBody {
  object?: string;
  entry?: WebhookEntry[];
}

export interface WebhookEntry {
  /** The Page id. */
  id?: string;
  time?: number;
  /** Events for threads this app owns (or every thread on a Page without conversation routing). */
  messaging?: MessagingItem[];
  /** Events for threads another app (the Page Inbox) owns: never answered. */
  standby?: MessagingItem[];
  /** The dashboard's Test button and other Graph fields. */
  changes?: unknown[];
}

export interface MessagingItem {
  sender?: { id?: string; user_ref?: string };
  recipient?: { id?: string };
  timestamp?: number;
  message?: WebhookMessage;
  postback?: WebhookPostback;
  referral?: WebhookReferral;
  delivery?: { mids?: string[]; watermark?: number };
  read?: { watermark?: number };
  reaction?: unknown;
  pass_thread_control?: unknown;
  take_thread_control?: unknown;
  request_thread_control?: unknown;
}

export interface WebhookMessage {
  mid?: string;
  text?: string;
  is_echo?: boolean;
  /** Echoes only: the app that sent the message (a number in real payloads). */
  app_id?: number | string;
  /** Echoes only: what the sender put in `message.metadata`. */
  metadata?: string;
  quick_reply?: { payload?: string };
  attachments?: WebhookAttachment[];
  reply_to?: { mid?: string };
  referral?: WebhookReferral;
}

export interface WebhookAttachment {
  type?: string;
  title?: string;
  payload?: {
    url?: string;
    title?: string;
    sticker_id?: number | string;
    coordinates?: { lat?: number; long?: number };
  } | null;
}

export interface WebhookPostback {
  mid?: string;
  title?: string;
  payload?: string;
  referral?: WebhookReferral;
}

export interface WebhookReferral {
  ref?: string;
  source?: string;
  type?: string;
  ad_id?: string;
}

// ── Send API ───────────────────────────────────────────────────────────────

export interface SendQuickReply {
  content_type: "text";
  title: string;
  payload: string;
}

export type SendButton =
  | { type: "web_url"; url: string; title: string }
  | { type: "postback"; title: string; payload: string }
  | { type: "phone_number"; title: string; payload: string };

export interface ButtonTemplate {
  type: "template";
  payload: { template_type: "button"; text: string; buttons: SendButton[] };
}

export interface ImageAttachment {
  type: "image";
  payload: { url: string; is_reusable: true };
}

/** A file uploaded with the Attachment Upload API, sent by its id. */
export interface UploadedAttachment {
  type: "image" | "audio" | "video" | "file";
  payload: { attachment_id: string };
}

/** The `message` object of a Send API call. `text` and `attachment` are exclusive. */
export interface SendMessage {
  text?: string;
  attachment?: ButtonTemplate | ImageAttachment | UploadedAttachment;
  quick_replies?: SendQuickReply[];
  /** Echoed back in `message_echoes`: tells our own sends from a person's. */
  metadata?: string;
}

export type MessagingType = "RESPONSE" | "UPDATE" | "MESSAGE_TAG";

export interface SendRequest {
  recipient: { id: string };
  messaging_type: MessagingType;
  tag?: "HUMAN_AGENT";
  message: SendMessage;
  /** A persona (an operator's name and picture) shown above the message. */
  persona_id?: string;
}

export interface SenderActionRequest {
  recipient: { id: string };
  sender_action: "typing_on" | "typing_off" | "mark_seen";
}

/** The Graph API's error envelope. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  fbtrace_id?: string;
}
