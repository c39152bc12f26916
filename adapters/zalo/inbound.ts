import type { Attachment, InboundEvent } from "../../src/model/message.js";
import { decodeQuickReply } from "./outbound.js";
import type { ZaloInboundAttachment, ZaloWebhookBody } from "./types.js";

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
export function str(v: unknown): string | undefined {
  if (typeof v === "string") return v.trim() ? v : undefined;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** Events we acknowledge and never act on (SPEC: a well-formed event we do not act on → 200). */
const RECEIPTS = new Set(["user_received_message", "user_seen_message"]);

const ATTACHMENT_EVENTS: Record<string, Attachment["type"]> = {
  user_send_image: "image",
  user_send_gif: "image",
  user_send_sticker: "sticker",
  user_send_file: "file",
  user_send_audio: "audio",
  user_send_video: "video",
  user_send_link: "link",
  user_send_location: "location",
  user_send_business_card: "contact",
};

export interface Mapped {
  events: InboundEvent[];
  /** Why nothing was produced (for a debug line): receipt, own echo, unknown event… */
  ignored?: string;
}

/**
 * One Zalo webhook body → the common events (zero or one). Ids:
 * `zalo:msg:<msg_id>` for messages and echoes; `zalo:<event>:<user>:<timestamp>` for
 * follow, unfollow and submitted info, which carry no msg_id.
 */
export function mapZaloEvent(body: ZaloWebhookBody): Mapped {
  const name = str(body.event_name) ?? "";
  const ts = Number(str(body.timestamp) ?? Date.now());
  const timestamp = Number.isFinite(ts) && ts > 0 ? ts : Date.now();
  const msg = body.message ?? {};
  const msgId = str(msg.msg_id);
  const base = (userId: string, key: string): Pick<InboundEvent, "id" | "channel" | "userId" | "timestamp"> => ({
    id: msgId ? `zalo:msg:${msgId}` : `zalo:${name}:${userId}:${key}`,
    channel: "zalo",
    userId,
    timestamp,
  });

  if (RECEIPTS.has(name)) return { events: [], ignored: "receipt" };

  if (name === "follow" || name === "unfollow") {
    const userId = str(body.follower?.id) ?? str(body.sender?.id);
    if (!userId) return { events: [], ignored: `${name} without follower.id` };
    const e: InboundEvent = {
      id: `zalo:${name}:${userId}:${str(body.timestamp) ?? timestamp}`,
      channel: "zalo",
      userId,
      timestamp,
      kind: name,
    };
    return { events: [e] };
  }

  if (name.startsWith("oa_send_")) {
    // Every OA send comes back as an echo. Only a person in the OA chat tool sets admin_id:
    // then the bot keeps quiet for that user. Our own API sends carry none and are dropped.
    const adminId = str(body.sender?.admin_id);
    if (!adminId) return { events: [], ignored: "own echo" };
    const userId = str(body.recipient?.id);
    if (!userId) return { events: [], ignored: "echo without recipient.id" };
    const e: InboundEvent = { ...base(userId, str(body.timestamp) ?? ""), kind: "human_reply" };
    const text = typeof msg.text === "string" && msg.text.trim() ? msg.text : undefined;
    if (text) e.text = text;
    else e.text = `[${name.slice("oa_send_".length)}]`;
    if (msgId) e.platformMessageId = msgId;
    e.meta = { adminId };
    return { events: [e] };
  }

  if (name === "user_submit_info") {
    const userId = str(body.sender?.id) ?? str(body.user_id_by_app);
    if (!userId) return { events: [], ignored: "submit_info without sender.id" };
    const e: InboundEvent = { ...base(userId, str(body.timestamp) ?? ""), kind: "message" };
    const text = submittedInfoText(body.info);
    if (text) e.text = text;
    if (msgId) e.platformMessageId = msgId;
    return { events: [e] };
  }

  if (name === "user_send_text" || name in ATTACHMENT_EVENTS) {
    const userId = str(body.sender?.id);
    if (!userId) return { events: [], ignored: `${name} without sender.id` };
    const e: InboundEvent = { ...base(userId, str(body.timestamp) ?? ""), kind: "message" };
    if (msgId) e.platformMessageId = msgId;
    const text = typeof msg.text === "string" ? msg.text : "";
    if (name === "user_send_text") {
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
    const type = ATTACHMENT_EVENTS[name] as Attachment["type"];
    const attachments = (msg.attachments ?? []).map((a) => toAttachment(a, type));
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

function toAttachment(a: ZaloInboundAttachment, fallback: Attachment["type"]): Attachment {
  const p = a.payload ?? {};
  const type =
    ({ gif: "image", business_card: "contact" } as Record<string, Attachment["type"]>)[a.type ?? ""] ?? fallback;
  const out: Attachment = { type };
  const url = str(p.url);
  if (url) out.url = url;
  if (type === "sticker" && str(p.id)) out.fileId = str(p.id) as string;
  const name = str(p.name) ?? str(p.title);
  if (name && (type === "file" || type === "link" || type === "contact")) out.name = name;
  if (type === "location") {
    const lat = Number(p.coordinates?.latitude);
    const lon = Number(p.coordinates?.longitude);
    if (Number.isFinite(lat)) out.latitude = lat;
    if (Number.isFinite(lon)) out.longitude = lon;
  }
  if (type === "contact") {
    // The card's description is a JSON string: {"phone": "…", "qrCodeUrl": "…"}.
    const d = str(p.description);
    if (d) {
      try {
        const j = parseJsonKeepingBigInts(d) as { phone?: unknown };
        const phone = str(j?.phone);
        if (phone) out.phone = phone;
      } catch {
        // not JSON: no phone
      }
    }
  }
  return out;
}

/** The fields a user submitted (request_user_info), one per line, in a stable order. */
export function submittedInfoText(info: Record<string, unknown> | undefined): string {
  if (!info || typeof info !== "object") return "";
  const order = ["name", "phone", "address", "ward", "district", "city"];
  const keys = [...order.filter((k) => k in info), ...Object.keys(info).filter((k) => !order.includes(k))];
  return keys
    .map((k) => [k, str(info[k])] as const)
    .filter((kv): kv is readonly [string, string] => !!kv[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}
