import type { Attachment, InboundEvent } from "../../src/ports/message.js";
import { asArray, asRecord, boundedCopy, type Rec, readId, readNumber, readString, readText } from "../shared/read.js";

/**
 * Telegram updates → channel-agnostic events. Only private chats are users; the operators'
 * group goes to the operators' code; every other group or channel update is ignored.
 *
 * Updates are read field by field (`src/channels/read.ts`), never trusted to match grammY's
 * types: a field of the wrong type is absent, and an update that cannot be mapped is ignored.
 */

export type Routed =
  | { to: "user"; events: InboundEvent[]; callbackQueryId?: string }
  | { to: "operators"; update: Rec }
  /** `callbackQueryId`: a tapped button to answer anyway, so it stops spinning. */
  | { to: "ignore"; why: string; callbackQueryId?: string };

/** A Telegram user's name as people see it: first and last name, else the username. */
export function displayName(user: unknown): string | undefined {
  const u = asRecord(user);
  if (!u) return undefined;
  const name = [readString(u.first_name), readString(u.last_name)].filter(Boolean).join(" ").trim();
  return name || readText(u.username);
}

/** When the update's message was sent (ms): its own `message.date`; undefined for other updates. */
export function updateTime(update: unknown): number | undefined {
  const date = readNumber(asRecord(asRecord(update)?.message)?.date);
  return date !== undefined && date > 0 ? date * 1000 : undefined;
}

const fileIdOf = (v: unknown) => readId(asRecord(v)?.file_id);

/** Media that carry a file id, and the attachment type each becomes. */
const FILES: [string, Attachment["type"]][] = [
  ["sticker", "sticker"],
  ["voice", "audio"],
  ["audio", "audio"],
  ["video", "video"],
  ["video_note", "video"],
];

/** What Telegram says about a file before it is fetched: its name and size (the 20 MB download limit). */
function withFacts(a: Attachment, v: unknown): Attachment {
  const f = asRecord(v);
  const name = readText(f?.file_name);
  if (name) a.name = name;
  const size = readNumber(f?.file_size);
  if (size !== undefined && size >= 0) a.size = size;
  return a;
}

export function attachmentsOf(m: Rec): Attachment[] {
  const out: Attachment[] = [];
  // Telegram sends every size; the last one is the largest.
  const largest = asArray(m.photo).map(fileIdOf).filter(Boolean).at(-1);
  const photo = asArray(m.photo).at(-1);
  if (largest) out.push(withFacts({ type: "image", fileId: largest }, photo));
  const doc = asRecord(m.document);
  const docId = fileIdOf(doc);
  if (doc && docId) {
    const a: Attachment = { type: readString(doc.mime_type)?.startsWith("image/") ? "image" : "file", fileId: docId };
    out.push(withFacts(a, doc));
  }
  for (const [key, type] of FILES) {
    const id = fileIdOf(m[key]);
    if (!id) continue;
    const a = withFacts({ type, fileId: id }, m[key]);
    if (key === "voice") a.voice = true;
    out.push(a);
  }
  const animation = fileIdOf(m.animation);
  if (animation && !doc) out.push({ type: "image", fileId: animation });
  const location = asRecord(m.location);
  const latitude = readNumber(location?.latitude);
  const longitude = readNumber(location?.longitude);
  if (latitude !== undefined && longitude !== undefined) out.push({ type: "location", latitude, longitude });
  const phone = readText(asRecord(m.contact)?.phone_number);
  if (phone) out.push({ type: "contact", phone });
  return out;
}

const chatOf = (v: unknown) => asRecord(asRecord(v)?.chat);

/** How deep an operators' group update is kept (what the operators' code reads is within 4). */
const OPS_UPDATE_DEPTH = 8;

export function route(update: unknown, operatorsChatId: string | undefined, now = Date.now()): Routed {
  const u = asRecord(update);
  if (!u) return { to: "ignore", why: "not an update" };
  const msg = asRecord(u.message);
  const cq = asRecord(u.callback_query);
  const chat = chatOf(msg) ?? chatOf(cq?.message) ?? chatOf(u.edited_message) ?? chatOf(u.my_chat_member);
  if (operatorsChatId && readId(chat?.id) === operatorsChatId) {
    // Recorded as it came for the operators' lane, but never deeper than Telegram nests.
    return { to: "operators", update: boundedCopy(u, OPS_UPDATE_DEPTH) as Rec };
  }
  const id = `telegram:update:${readId(u.update_id) ?? "?"}`;
  if (cq) {
    const where = asRecord(cq.message);
    const queryId = readId(cq.id);
    const ignore = (why: string): Routed =>
      queryId ? { to: "ignore", why, callbackQueryId: queryId } : { to: "ignore", why };
    if (where && readString(chatOf(where)?.type) !== "private") return ignore("callback outside a private chat");
    const from = asRecord(cq.from);
    const userId = readId(from?.id);
    if (!userId) return ignore("callback without from.id");
    const e: InboundEvent = {
      id,
      channel: "telegram",
      userId,
      timestamp: now,
      kind: "postback",
      payload: readString(cq.data) ?? "",
    };
    const name = displayName(from);
    if (name) e.displayName = name;
    const lang = readText(from?.language_code);
    if (lang) e.meta = { lang };
    const callbackQueryId = readId(cq.id);
    return callbackQueryId ? { to: "user", events: [e], callbackQueryId } : { to: "user", events: [e] };
  }
  if (!msg) return { to: "ignore", why: u.edited_message !== undefined ? "edited message" : "update type not handled" };
  const msgChat = asRecord(msg.chat);
  const type = readString(msgChat?.type);
  if (type !== "private") return { to: "ignore", why: type ? "not a private chat" : "message without chat.type" };
  const userId = readId(msgChat?.id);
  if (!userId) return { to: "ignore", why: "message without chat.id" };
  const e: InboundEvent = {
    id,
    channel: "telegram",
    userId,
    timestamp: updateTime(u) ?? now,
    kind: "message",
  };
  const messageId = readId(msg.message_id);
  if (messageId) e.platformMessageId = messageId;
  const from = asRecord(msg.from);
  const name = displayName(from);
  if (name) e.displayName = name;
  const lang = readText(from?.language_code);
  if (lang) e.meta = { lang };
  const rawText = readString(msg.text);
  const start = rawText && /^\/start(?:@\w+)?(?:\s+(.+))?$/.exec(rawText.trim());
  if (start) {
    e.kind = "start";
    // Deep links (t.me/bot?start=<payload>) arrive as "/start <payload>".
    if (start[1]) e.payload = start[1];
    return { to: "user", events: [e] };
  }
  const text = rawText ?? readString(msg.caption);
  if (text) e.text = text;
  const attachments = attachmentsOf(msg);
  if (attachments.length) e.attachments = attachments;
  // A shared contact is a phone number the user gave: the form reads it as text.
  const phone = attachments.find((a) => a.type === "contact")?.phone;
  if (phone && !e.text) e.text = phone;
  if (!e.text && !e.attachments) return { to: "ignore", why: "service message" };
  return { to: "user", events: [e] };
}
