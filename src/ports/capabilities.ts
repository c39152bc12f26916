import type { MediaKind } from "./media.js";
import type { Button } from "./message.js";

/**
 * One way a platform takes a file: the kinds and sniffed types it accepts, up to a size;
 * `as` names the adapter's call for it (Telegram `photo` → sendPhoto). The first rule that
 * fits a file is used; a file no rule fits is sent as a link or explained (src/media/fit.ts).
 */
export interface MediaRule {
  as: string;
  kinds: readonly MediaKind[];
  /** Accepted types (exact, or `audio/*`); absent: any of those kinds. */
  mimes?: readonly string[];
  /** Only voice notes (Telegram's sendVoice). */
  voice?: boolean;
  maxBytes: number;
}

/**
 * What a channel can show, as data (EXAMPLES.md: OpenClaw's `capabilities`). The renderer
 * and the engine read these numbers; nothing tests a platform's name.
 */
export interface ChannelCapabilities {
  /** Longest text in one message (characters, after NFC). */
  maxTextLength: number;
  /** Quick replies per message (0: none; they become numbered text). */
  maxQuickReplies: number;
  maxQuickReplyTitle: number;
  /** Buttons attached to one message, and which kinds the channel renders as buttons. */
  maxButtons: number;
  maxButtonTitle: number;
  buttonTypes: readonly Button["type"][];
  /** Longest text that can carry buttons (Messenger's button template: 640). */
  maxTextWithButtons: number;
  /** Quick replies and buttons in the same message (Zalo and Messenger templates cannot). */
  quickRepliesWithButtons: boolean;
  images: boolean;
  typing: boolean;
  /**
   * How long after the user's last message the platform accepts an answer: the bot's own
   * (`botHours`), and a person's (`personHours`, e.g. Messenger's HUMAN_AGENT tag). Absent:
   * no window (Telegram, the live chat). `freeHours`: replies within this many hours are free,
   * later ones billed (Zalo OA: 48 h free, paid until 7 days).
   */
  replyWindow?: { botHours: number; personHours: number; freeHours?: number };
  /** A one-tap way for the user to share their phone number when asked (`OutboundMessage.ask`). */
  contactRequest?: boolean;
  /** Buttons wide enough for a row of stars: a rating is offered as ★ to ★★★★★ (the live chat). */
  ratingStars?: boolean;
  /** The files the platform takes from the bot, in order of preference; absent: none. */
  media?: readonly MediaRule[];
}

export const CLI_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 100_000,
  maxQuickReplies: 20,
  maxQuickReplyTitle: 60,
  maxButtons: 10,
  maxButtonTitle: 60,
  buttonTypes: [],
  maxTextWithButtons: 100_000,
  quickRepliesWithButtons: true,
  images: false,
  typing: false,
};
