import type { ChannelCapabilities } from "../../src/ports/capabilities.js";

/**
 * What Messenger shows (notes/messenger.md §5): text under 2,000 characters (kept at 1,990
 * for a margin), 13 quick replies of 20 characters, a button template of 1–3 buttons under a
 * text of at most 640 characters, quick replies allowed on any message, images by URL.
 */
export const MESSENGER_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 1990,
  maxQuickReplies: 13,
  maxQuickReplyTitle: 20,
  maxButtons: 3,
  maxButtonTitle: 20,
  buttonTypes: ["url", "postback", "phone"],
  maxTextWithButtons: 640,
  quickRepliesWithButtons: true,
  images: true,
  typing: true,
  // 24 h for the bot; a person may answer for 7 days with the HUMAN_AGENT tag (channel.ts `windowFor`).
  replyWindow: { botHours: 24, personHours: 7 * 24 },
};

/** Longest quick-reply and postback payloads the Send API takes. */
export const MAX_PAYLOAD = 1000;

/** Put in `message.metadata` of every send, so echoes of our own messages are recognised without an app id. */
export const METADATA_TAG = "hotro";
