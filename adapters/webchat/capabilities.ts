import { mb } from "../../src/media/fit.js";
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
  // The page is served by hotro: every stored file is shown from a signed link (pictures
  // inline, the rest to download), up to the media store's own cap.
  media: [{ as: "link", kinds: ["image", "audio", "video", "file", "sticker"], maxBytes: mb(100) }],
};
