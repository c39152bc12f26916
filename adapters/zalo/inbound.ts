import type { Attachment, InboundEvent } from "../../src/ports/message.js";
import { asArray, asRecord, type Rec, readId, readNumber, readString, readText } from "../shared/read.js";
import { decodeQuickReply } from "./outbound.js";

/**
 * `JSON.parse`, except that an integer literal of 16 digits or more (past 2^53: Zalo's ids)
 * is kept as its exact digits, a string. Zalo sends ids as JSON strings already; this makes
 * sure a bare numeric id could never be rounded. Strings and other numbers are untouched.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = "";
  let last = 0;
  const n = text.length;
  const digit = (c: number) => c >= 48 && c <= 57;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the whole string literal, escapes included.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
      continue;
    }
    if (c === 45 /* - */ || digit(c)) {
      const start = i;
      let j = c === 45 ? i + 1 : i;
      const intStart = j;
      while (j < n && digit(text.charCodeAt(j))) j++;
      const intDigits = j - intStart;
      let integer = true;
      if (text.charCodeAt(j) === 46 /* . */) {
        integer = false;
        j++;
        while (j < n && digit(text.charCodeAt(j))) j++;
      }
      const e = text.charCodeAt(j);
      if (e === 101 || e === 69 /* e E */) {
        integer = false;
        j++;
        const s = text.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        while (j < n && digit(text.charCodeAt(j))) j++;
      }
      if (integer && intDigits >= 16) {
        out += `${text.slice(last, start)}"${text.slice(start, j)}"`;
        last = j;
      }
      i = j - 1;
    }
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}

/** A JSON value as a string id: strings as they are, small numbers as digits, anything else undefined. */
export const str = readId;

/** Events we acknowledge and never act on (SPEC: a well-formed event we do not act on → 200). */
const RECEIPTS = new Set(["user_received_message", "user_seen_message"]);

const ATTACHMENT_EVENTS = new Map<string, Attachment["type"]>([
  ["user_send_image", "image"],
  ["user_send_gif", "image"],
  ["user_send_sticker", "sticker"],
  ["user_send_file", "file"],
  ["user_send_audio", "audio"],
  ["user_send_video", "video"],
  ["user_send_link", "link"],
  ["user_send_location", "location"],
  ["user_send_business_card", "contact"],
]);

/** Attachment `type`s that differ from the event's own. */
const ATTACHMENT_TYPES = new Map<string, Attachment["type"]>([
  ["gif", "image"],
  ["business_card", "contact"],
]);

export interface Mapped {
  events: InboundEvent[];
  /** Why nothing was produced (for a debug line): receipt, own echo, unknown event… */
  ignored?: string;
}

/**
 * The body's `timestamp` in ms: Zalo sends milliseconds as a string. A value too small to be
 * milliseconds (before 1973) is taken as seconds, so a unit change could not make every
 * event look years old. Undefined when absent or not a positive number.
 */
export function zaloTime(body: unknown): number | undefined {
  const raw = str(asRecord(body)?.timestamp);
  const n = raw === undefined ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n < 1e11 ? n * 1000 : n;
}

/**
 * One Zalo webhook body → the common events (zero or one). Ids:
 * `zalo:msg:<msg_id>` for messages and echoes; `zalo:<event>:<user>:<timestamp>` for
 * follow, unfollow and submitted info, which carry no msg_id. The body is read field by
 * field: a field of the wrong type is absent, and an event that cannot be mapped is ignored.
 */
export function mapZaloEvent(raw: unknown, now = Date.now()): Mapped {
  const body = asRecord(raw) ?? {};
  const name = str(body.event_name) ?? "";
  const stamp = str(body.timestamp);
  const timestamp = zaloTime(body) ?? now;
  const msg = asRecord(body.message) ?? {};
  const msgId = str(msg.msg_id);
  const sender = asRecord(body.sender);
  const base = (userId: string, key: string): Pick<InboundEvent, "id" | "channel" | "userId" | "timestamp"> => ({
    id: msgId ? `zalo:msg:${msgId}` : `zalo:${name}:${userId}:${key}`,
    channel: "zalo",
    userId,
    timestamp,
  });

  if (RECEIPTS.has(name)) return { events: [], ignored: "receipt" };

  if (name === "user_click_chatnow") {
    // The user tapped "Nhắn tin" (Chat now) on the OA's profile: the conversation starts.
    const userId = str(body.user_id) ?? str(sender?.id);
    if (!userId) return { events: [], ignored: "user_click_chatnow without user_id" };
    return {
      events: [
        { id: `zalo:${name}:${userId}:${stamp ?? timestamp}`, channel: "zalo", userId, timestamp, kind: "start" },
      ],
    };
  }

  if (name === "follow" || name === "unfollow") {
    const userId = str(asRecord(body.follower)?.id) ?? str(sender?.id);
    if (!userId) return { events: [], ignored: `${name} without follower.id` };
    const e: InboundEvent = {
      id: `zalo:${name}:${userId}:${stamp ?? timestamp}`,
      channel: "zalo",
      userId,
      timestamp,
      // Following the OA is the first contact, as Get Started and /start are elsewhere.
      kind: name === "follow" ? "start" : "unfollow",
    };
    return { events: [e] };
  }

  if (name.startsWith("oa_send_")) {
    // Every OA send comes back as an echo. Only a person in the OA chat tool sets admin_id:
    // then the bot keeps quiet for that user. Our own API sends carry none and are dropped.
    const adminId = str(sender?.admin_id);
    if (!adminId) return { events: [], ignored: "own echo" };
    const userId = str(asRecord(body.recipient)?.id);
    if (!userId) return { events: [], ignored: "echo without recipient.id" };
    const e: InboundEvent = { ...base(userId, stamp ?? ""), kind: "human_reply" };
    e.text = readText(msg.text) ?? `[${name.slice("oa_send_".length)}]`;
    if (msgId) e.platformMessageId = msgId;
    e.meta = { adminId };
    return { events: [e] };
  }

  if (name === "user_submit_info") {
    const userId = str(sender?.id) ?? str(body.user_id_by_app);
    if (!userId) return { events: [], ignored: "submit_info without sender.id" };
    const e: InboundEvent = { ...base(userId, stamp ?? ""), kind: "message" };
    const text = submittedInfoText(body.info);
    if (text) e.text = text;
    if (msgId) e.platformMessageId = msgId;
    // What the user shared through the request_user_info card: a contact, as a form reads one.
    const info = asRecord(body.info);
    const phone = str(info?.phone);
    if (phone) {
      const contact: Attachment = { type: "contact", phone };
      const shared = str(info?.name);
      if (shared) contact.name = shared;
      e.attachments = [contact];
    }
    return { events: [e] };
  }

  const type = ATTACHMENT_EVENTS.get(name);
  if (name === "user_send_text" || type) {
    const userId = str(sender?.id);
    if (!userId) return { events: [], ignored: `${name} without sender.id` };
    const e: InboundEvent = { ...base(userId, stamp ?? ""), kind: "message" };
    if (msgId) e.platformMessageId = msgId;
    const text = readString(msg.text) ?? "";
    if (!type) {
      const qr = decodeQuickReply(text);
      if (qr) {
        // A tapped quick reply (oa.query.hide): its payload came back as the text.
        e.kind = "postback";
        e.payload = qr.payload;
        if (qr.label) e.text = qr.label;
        return { events: [e] };
      }
      if (text) e.text = text;
      return { events: [e] };
    }
    const attachments = asArray(msg.attachments)
      .map((a) => asRecord(a))
      .filter((a): a is Rec => a !== undefined)
      .map((a) => toAttachment(a, type));
    if (attachments.length === 0) attachments.push({ type });
    e.attachments = attachments;
    // An image caption or the text around a link is what the user said.
    if (text.trim() && !attachments.some((a) => a.url === text.trim())) e.text = text;
    return { events: [e] };
  }

  if (name.startsWith("anonymous_") || name.startsWith("user_send_group") || name.includes("tag")) {
    return { events: [], ignored: `not a 1:1 conversation event (${name})` };
  }
  return { events: [], ignored: name ? `unknown event ${name}` : "no event_name" };
}

function toAttachment(a: Rec, fallback: Attachment["type"]): Attachment {
  const p = asRecord(a.payload) ?? {};
  const type = ATTACHMENT_TYPES.get(readString(a.type) ?? "") ?? fallback;
  const out: Attachment = { type };
  const url = str(p.url);
  if (url) out.url = url;
  const id = str(p.id);
  if (type === "sticker" && id) out.fileId = id;
  const name = str(p.name) ?? str(p.title);
  if (name && (type === "file" || type === "link" || type === "contact")) out.name = name;
  // Zalo's "audio" is a voice message recorded in the app; a file's size comes as a string.
  if (type === "audio") out.voice = true;
  const size = Number(str(p.size) ?? Number.NaN);
  if (Number.isSafeInteger(size) && size >= 0) out.size = size;
  if (type === "location") {
    const c = asRecord(p.coordinates);
    const lat = coordinate(c?.latitude);
    const lon = coordinate(c?.longitude);
    if (lat !== undefined) out.latitude = lat;
    if (lon !== undefined) out.longitude = lon;
  }
  if (type === "contact") {
    // The card's description is a JSON string: {"phone": "…", "qrCodeUrl": "…"}.
    const d = readString(p.description);
    if (d) {
      try {
        const phone = str(asRecord(parseJsonKeepingBigInts(d))?.phone);
        if (phone) out.phone = phone;
      } catch {
        // not JSON: no phone
      }
    }
  }
  return out;
}

/** A coordinate as Zalo sends it: a number, or a decimal string ("10.7769"). */
function coordinate(v: unknown): number | undefined {
  const n = typeof v === "string" && v.trim() ? Number(v) : readNumber(v);
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}

/** The fields a user submitted (request_user_info), one per line, in a stable order. */
export function submittedInfoText(raw: unknown): string {
  const info = asRecord(raw);
  if (!info) return "";
  const order = ["name", "phone", "address", "ward", "district", "city"];
  const keys = [...order.filter((k) => Object.hasOwn(info, k)), ...Object.keys(info).filter((k) => !order.includes(k))];
  return keys
    .map((k) => [k, str(info[k])] as const)
    .filter((kv): kv is readonly [string, string] => !!kv[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}
