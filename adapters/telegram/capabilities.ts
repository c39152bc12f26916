import { mb } from "../../src/media/fit.js";
import type { ChannelCapabilities } from "../../src/ports/capabilities.js";

/** Telegram's own limit on a message's text (Bot API `sendMessage`). */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** An operator's name as it heads their messages, at most this long (Telegram's first_name is up to 64). */
export const MAX_OPERATOR_NAME = 64;
/** Room kept in every message for that heading: `<name>:\n`. */
const NAME_ROOM = MAX_OPERATOR_NAME + 2;

/**
 * Telegram's limits (Bot API): 4096 characters of text, 64 bytes of callback_data. Texts are
 * split shorter by the room an operator's name takes (`textOf` puts it above every part).
 */
export const TELEGRAM_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: TELEGRAM_TEXT_LIMIT - NAME_ROOM,
  maxQuickReplies: 12,
  maxQuickReplyTitle: 40,
  maxButtons: 8,
  maxButtonTitle: 40,
  // A URL button needs http(s) or tg://, so a phone number is shown as text.
  buttonTypes: ["url", "postback"],
  maxTextWithButtons: TELEGRAM_TEXT_LIMIT - NAME_ROOM,
  quickRepliesWithButtons: true,
  images: true,
  typing: true,
  // A phone question shows a "share my phone number" keyboard button (request_contact).
  contactRequest: true,
  // Bot API "Sending files": uploads up to 50 MB, photos up to 10 MB; sendVoice plays OGG/Opus,
  // MP3 and M4A as a voice note; sendAudio is the music player (MP3/M4A); sendVideo wants MP4;
  // a static sticker is a WebP up to 512 KB. Whatever else fits 50 MB goes as a document.
  media: [
    { as: "sticker", kinds: ["sticker"], mimes: ["image/webp"], maxBytes: 512 * 1024 },
    { as: "photo", kinds: ["image", "sticker"], mimes: ["image/jpeg", "image/png", "image/webp"], maxBytes: mb(10) },
    { as: "voice", kinds: ["audio"], mimes: ["audio/ogg", "audio/mpeg", "audio/mp4"], voice: true, maxBytes: mb(50) },
    { as: "audio", kinds: ["audio"], mimes: ["audio/mpeg", "audio/mp4"], maxBytes: mb(50) },
    { as: "video", kinds: ["video"], mimes: ["video/mp4"], maxBytes: mb(50) },
    { as: "document", kinds: ["image", "audio", "video", "file", "sticker"], maxBytes: mb(50) },
  ],
};

/** The largest file a bot may download with getFile (Bot API: 20 MB). */
export const TELEGRAM_DOWNLOAD_LIMIT = mb(20);
