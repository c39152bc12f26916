import type { ChannelCapabilities } from "../../src/ports/capabilities.js";

/**
 * What Zalo OA shows. Text: 2,000 characters a message. Quick replies and buttons share
 * the one button list of a CS template (at most 5, titles up to 100 characters), so a
 * message carries either; quick replies are hidden-query buttons. Images by URL (media
 * template). No typing indicator in the OA API.
 */
export const ZALO_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 2000,
  maxQuickReplies: 5,
  maxQuickReplyTitle: 100,
  maxButtons: 5,
  maxButtonTitle: 100,
  buttonTypes: ["url", "phone", "postback"],
  maxTextWithButtons: 2000,
  quickRepliesWithButtons: false,
  images: true,
  typing: false,
  // CS messages only within 7 days of the user's last interaction (notes/zalo-oa.md §7: -230/-232 after).
  replyWindow: { botHours: 7 * 24, personHours: 7 * 24 },
};
