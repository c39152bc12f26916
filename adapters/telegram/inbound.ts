import type { Message, Update } from "grammy/types";
import type { Attachment, InboundEvent } from "../../src/model/message.js";

/**
 * Telegram updates → channel-agnostic events. Only private chats are users; the operators'
 * group goes to the operators' code; every other group or channel update is ignored.
 */

export type Routed =
  | { to: "user"; events: InboundEvent[]; callbackQueryId?: string }
  | { to: "operators"; update: Update }
  | { to: "ignore"; why: string };

export function displayName(
  u: { first_name?: string; last_name?: string; username?: string } | undefined,
): string | undefined {
  if (!u) return undefined;
  const name = [u.first_name, u.last_name].filter(Boolean).join(" ").trim();
  return name || u.username;
}

function attachmentsOf(m: Message): Attachment[] {
  const out: Attachment[] = [];
  if (m.photo?.length) {
    // Telegram sends every size; the last one is the largest.
    const largest = m.photo[m.photo.length - 1];
    if (largest) out.push({ type: "image", fileId: largest.file_id });
  }
  if (m.document) {
    const a: Attachment = {
      type: m.document.mime_type?.startsWith("image/") ? "image" : "file",
      fileId: m.document.file_id,
    };
    if (m.document.file_name) a.name = m.document.file_name;
    out.push(a);
  }
  if (m.sticker) out.push({ type: "sticker", fileId: m.sticker.file_id });
  if (m.voice) out.push({ type: "audio", fileId: m.voice.file_id });
  if (m.audio) out.push({ type: "audio", fileId: m.audio.file_id });
  if (m.video) out.push({ type: "video", fileId: m.video.file_id });
  if (m.video_note) out.push({ type: "video", fileId: m.video_note.file_id });
  if (m.animation && !m.document) out.push({ type: "image", fileId: m.animation.file_id });
  if (m.location) out.push({ type: "location", latitude: m.location.latitude, longitude: m.location.longitude });
  if (m.contact) out.push({ type: "contact", phone: m.contact.phone_number });
  return out;
}

export function route(update: Update, operatorsChatId: string | undefined): Routed {
  const msg = update.message;
  const cq = update.callback_query;
  const chat = msg?.chat ?? cq?.message?.chat ?? update.edited_message?.chat ?? update.my_chat_member?.chat;
  if (chat && operatorsChatId && String(chat.id) === operatorsChatId) return { to: "operators", update };
  if (cq) {
    if (cq.message && cq.message.chat.type !== "private")
      return { to: "ignore", why: "callback outside a private chat" };
    const e: InboundEvent = {
      id: `telegram:update:${update.update_id}`,
      channel: "telegram",
      userId: String(cq.from.id),
      timestamp: Date.now(),
      kind: "postback",
      payload: cq.data ?? "",
    };
    const name = displayName(cq.from);
    if (name) e.displayName = name;
    if (cq.from.language_code) e.meta = { lang: cq.from.language_code };
    return { to: "user", events: [e], callbackQueryId: cq.id };
  }
  if (!msg) return { to: "ignore", why: update.edited_message ? "edited message" : "update type not handled" };
  if (msg.chat.type !== "private") return { to: "ignore", why: `${msg.chat.type} chat` };
  const text = msg.text ?? msg.caption;
  const e: InboundEvent = {
    id: `telegram:update:${update.update_id}`,
    channel: "telegram",
    userId: String(msg.chat.id),
    platformMessageId: String(msg.message_id),
    timestamp: msg.date * 1000,
    kind: "message",
  };
  const name = displayName(msg.from);
  if (name) e.displayName = name;
  if (msg.from?.language_code) e.meta = { lang: msg.from.language_code };
  const start = msg.text && /^\/start(?:@\w+)?(?:\s+(.+))?$/.exec(msg.text.trim());
  if (start) {
    e.kind = "start";
    // Deep links (t.me/bot?start=<payload>) arrive as "/start <payload>".
    if (start[1]) e.payload = start[1];
    return { to: "user", events: [e] };
  }
  if (text) e.text = text;
  const attachments = attachmentsOf(msg);
  if (attachments.length) e.attachments = attachments;
  // A shared contact is a phone number the user gave: the form reads it as text.
  if (msg.contact && !e.text) e.text = msg.contact.phone_number;
  if (!e.text && !e.attachments) return { to: "ignore", why: "service message" };
  return { to: "user", events: [e] };
}
