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
};
