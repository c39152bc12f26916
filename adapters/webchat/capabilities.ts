import type { ChannelCapabilities } from "../../src/ports/capabilities.js";

/** A browser shows anything: long text, every button kind, images; "typing" is drawn by the page. */
export const WEBCHAT_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 20_000,
  maxQuickReplies: 13,
  maxQuickReplyTitle: 60,
  maxButtons: 6,
  maxButtonTitle: 60,
  buttonTypes: ["url", "phone", "postback"],
  maxTextWithButtons: 20_000,
  quickRepliesWithButtons: true,
  images: true,
  typing: true,
  ratingStars: true,
};
