import { mb } from "../../src/media/fit.js";
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
  // Upload endpoints (notes/zalo-oa.md): `/v2.0/oa/upload/image` JPG/PNG up to 1 MB,
  // `/upload/gif` up to 5 MB, `/upload/file` PDF/DOC/DOCX/CSV up to 5 MB. A CS message carries
  // no audio or video: those, and anything larger, go as a link.
  media: [
    { as: "image", kinds: ["image", "sticker"], mimes: ["image/jpeg", "image/png"], maxBytes: mb(1) },
    { as: "gif", kinds: ["image"], mimes: ["image/gif"], maxBytes: mb(5) },
    {
      as: "file",
      kinds: ["file"],
      mimes: [
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      ],
      maxBytes: mb(5),
    },
  ],
};
