import { mb } from "../../src/media/fit.js";
import type { ChannelCapabilities } from "../../src/ports/capabilities.js";

/** Meta's limit on a message's text (the Send API: "2000 character limit"). */
export const MESSENGER_TEXT_LIMIT = 2000;
/** An operator's name as it heads their messages (when no persona shows it): a persona's 50 characters. */
export const MAX_OPERATOR_NAME = 50;

/**
 * What Messenger shows (notes/messenger.md §5): text under 2,000 characters (kept 10 short for
 * a margin, and shorter by the room an operator's name takes above their text), 13 quick
 * replies of 20 characters, a button template of 1–3 buttons under a text of at most 640
 * characters, quick replies allowed on any message, images by URL.
 */
export const MESSENGER_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: MESSENGER_TEXT_LIMIT - 10 - (MAX_OPERATOR_NAME + 2),
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
  // Attachment Upload API (`/me/message_attachments`, multipart `filedata`): image, audio,
  // video and file assets up to 25 MB ("Saving assets"); audio needs an audio content type.
  media: [
    {
      as: "image",
      kinds: ["image", "sticker"],
      mimes: ["image/jpeg", "image/png", "image/gif", "image/webp"],
      maxBytes: mb(25),
    },
    { as: "audio", kinds: ["audio"], maxBytes: mb(25) },
    {
      as: "video",
      kinds: ["video"],
      mimes: ["video/mp4", "video/quicktime", "video/3gpp", "video/webm"],
      maxBytes: mb(25),
    },
    { as: "file", kinds: ["file", "video", "image", "sticker"], maxBytes: mb(25) },
  ],
};

/** Longest quick-reply and postback payloads the Send API takes. */
export const MAX_PAYLOAD = 1000;

/** Put in `message.metadata` of every send, so echoes of our own messages are recognised without an app id. */
export const METADATA_TAG = "hotro";
