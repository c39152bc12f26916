import { createHash } from "node:crypto";
import { GrammyError, HttpError } from "grammy";
import type { InlineKeyboardButton, ReplyKeyboardMarkup } from "grammy/types";
import type { OutboundMessage } from "../../src/ports/message.js";
import type { SendOutcome } from "../../src/ports/queue.js";
import { shorten } from "../../src/render/render.js";
import { MAX_OPERATOR_NAME } from "./capabilities.js";

export const CALLBACK_LIMIT = 64;
/** callback_data prefix for payloads kept server-side because they exceed 64 bytes. */
export const LONG_PAYLOAD = "k:";

export function longPayloadKey(payload: string): string {
  return `${LONG_PAYLOAD}${createHash("sha256").update(payload).digest("base64url").slice(0, 22)}`;
}

/**
 * The inline keyboard for a message: buttons first, then quick replies, one per row so long
 * Vietnamese labels stay readable. `store` keeps payloads over 64 bytes server-side.
 */
export async function keyboardOf(
  m: OutboundMessage,
  store: (key: string, payload: string) => Promise<void>,
): Promise<InlineKeyboardButton[][] | undefined> {
  const rows: InlineKeyboardButton[][] = [];
  const data = async (payload: string) => {
    if (Buffer.byteLength(payload, "utf8") <= CALLBACK_LIMIT) return payload;
    const key = longPayloadKey(payload);
    await store(key, payload);
    return key;
  };
  for (const b of m.buttons ?? []) {
    if (b.type === "url") rows.push([{ text: b.label, url: b.url }]);
    else if (b.type === "postback") rows.push([{ text: b.label, callback_data: await data(b.payload) }]);
  }
  for (const q of m.quickReplies ?? []) rows.push([{ text: q.label, callback_data: await data(q.payload) }]);
  return rows.length ? rows : undefined;
}

/** The contact button's text when the engine gives none (flows: `share_phone_button`). */
const SHARE_PHONE = "📱 Gửi số điện thoại / Share my phone number";

/**
 * A phone question (`ask`): a keyboard whose first button shares the user's own number
 * (`request_contact`, private chats only), the quick replies as typed answers under it (the
 * engine reads a label typed back as its choice). Hidden once used (`one_time_keyboard`).
 * Undefined when the message has inline buttons (a message carries one keyboard).
 */
export function contactKeyboardOf(m: OutboundMessage): ReplyKeyboardMarkup | undefined {
  if (m.ask?.kind !== "phone" || m.buttons?.length) return undefined;
  return {
    keyboard: [
      [{ text: m.ask.label ?? SHARE_PHONE, request_contact: true }],
      ...(m.quickReplies ?? []).map((q) => [{ text: q.label }]),
    ],
    one_time_keyboard: true,
    resize_keyboard: true,
    is_persistent: false,
  };
}

/**
 * Operators are named in the text: Telegram shows every message as the bot's. The name is
 * shortened to the room the capabilities keep for it, so a full part stays within 4096.
 */
export function textOf(m: OutboundMessage): string {
  const text = m.text ?? "";
  return m.from?.kind === "operator" ? `${shorten(m.from.name, MAX_OPERATOR_NAME)}:\n${text}` : text;
}

/**
 * Sort a failure into retry or not. 429 carries `retry_after`; 5xx and network errors are
 * worth retrying; 403 means the user blocked the bot (or left): retrying will not help.
 */
export function classifyError(err: unknown): SendOutcome & { ok: false } {
  if (err instanceof GrammyError) {
    const code = err.error_code;
    if (code === 429) {
      const after = err.parameters.retry_after ?? 1;
      return {
        ok: false,
        permanent: false,
        error: `rate limited (retry after ${after} s)`,
        retryAfterMs: after * 1000,
      };
    }
    if (code >= 500) return { ok: false, permanent: false, error: `Telegram ${code}: ${err.description}` };
    if (code === 403) return { ok: false, permanent: true, error: `blocked: ${err.description}`, reason: "blocked" };
    if (code === 401)
      return { ok: false, permanent: true, error: `Telegram ${code}: ${err.description}`, reason: "auth" };
    return { ok: false, permanent: true, error: `Telegram ${code}: ${err.description}`, reason: "other" };
  }
  if (err instanceof HttpError) return { ok: false, permanent: false, error: `network: ${err.message}` };
  return { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
}
