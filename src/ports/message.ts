/** What kind of secret was masked in a user's message. */
export type SecretKind = "otp" | "password" | "card";

/**
 * The channel a conversation lives on (`telegram`, `messenger`, `zalo`, `webchat`, `cli`: the
 * registry's ids); a conversation key is `<channel>:<user id>`.
 */
export type ChannelId = string;

export type AttachmentType = "image" | "file" | "audio" | "video" | "sticker" | "location" | "contact" | "link";

export interface Attachment {
  type: AttachmentType;
  /** Where the platform serves it (may expire: platforms' CDN links are short-lived). */
  url?: string;
  /** Platform file id when there is no URL (Telegram). */
  fileId?: string;
  name?: string;
  latitude?: number;
  longitude?: number;
  /** A shared contact's phone number. */
  phone?: string;
  /** Its copy in hotro's media store (src/ports/media.ts), once fetched: what every destination is sent from. */
  mediaId?: string;
  /** The type its bytes turned out to be (sniffed, never taken from the name). */
  mime?: string;
  /** Bytes, when known (the platform said, or hotro counted). */
  size?: number;
  /** A voice note recorded in the app (Telegram voice, Zalo audio), not a music file. */
  voice?: boolean;
  /** Why hotro could not fetch or keep it ("too large: 31 MB, the limit is 25 MB"): shown to operators. */
  error?: string;
}

/**
 * What a user did, in words every channel shares. Adapters produce these; the engine
 * never sees a platform payload.
 */
export interface InboundEvent {
  /** Unique per platform delivery, used for dedupe: `telegram:update:123`, `messenger:mid:m_…`. */
  id: string;
  channel: ChannelId;
  userId: string;
  displayName?: string;
  platformMessageId?: string;
  /** When the user acted, in ms since the epoch. */
  timestamp: number;
  /**
   * `message`: text and/or attachments. `postback`: a tapped quick reply or button
   * (`payload`, with its title in `text`). `start`: the first contact (Get Started,
   * `/start`, Zalo follow), with a deep-link `payload` if any. `follow`/`unfollow`.
   * `human_reply`: a person answered from the platform's own inbox (Page Inbox, Zalo OA
   * chat tool), so the bot must keep quiet. `standby`: the user wrote while another app owns
   * the conversation (Messenger's Page Inbox: `meta.inbox` names it): shown to operators,
   * never answered.
   */
  kind: "message" | "postback" | "start" | "follow" | "unfollow" | "human_reply" | "standby";
  text?: string;
  payload?: string;
  attachments?: Attachment[];
  /** Secrets found in `text` and masked before anything stored or logged it. */
  masked?: SecretKind[];
  /** Values the channel needs to answer later (e.g. the Messenger page id). Never secrets. */
  meta?: Record<string, string>;
}

export interface QuickReply {
  label: string;
  payload: string;
}

export type Button =
  | { type: "url"; label: string; url: string }
  | { type: "phone"; label: string; phone: string }
  | { type: "postback"; label: string; payload: string };

/** What the bot says. The renderer fits it to a channel; flows never know which. */
export interface OutboundMessage {
  text?: string;
  quickReplies?: QuickReply[];
  buttons?: Button[];
  image?: { url: string; caption?: string };
  /**
   * A file from hotro's media store (`mediaId` set): one per message, so one that cannot be
   * delivered never holds up the others (the renderer splits a message with several).
   */
  attachment?: Attachment;
  /** Who wrote it, when a person did (shown by channels that can). */
  from?: { kind: "bot" } | { kind: "operator"; name: string };
  /**
   * The message asks for the user's phone number: channels with a one-tap way to share it
   * (`capabilities.contactRequest`: Telegram's contact button, Zalo's request_user_info) offer
   * it, with `label` on the button where they show one; the others send the text alone.
   */
  ask?: { kind: "phone"; label?: string };
}

export function conversationKey(channel: ChannelId, userId: string): string {
  return `${channel}:${userId}`;
}

export function parseConversationKey(key: string): { channel: ChannelId; userId: string } {
  const i = key.indexOf(":");
  return { channel: key.slice(0, i) as ChannelId, userId: key.slice(i + 1) };
}
