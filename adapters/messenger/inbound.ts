import type { Attachment, InboundEvent } from "../../src/ports/message.js";
import { asRecord, readNumber } from "../shared/read.js";
import { METADATA_TAG } from "./capabilities.js";
import type { MessagingItem, WebhookAttachment, WebhookBody, WebhookMessage, WebhookReferral } from "./types.js";

export interface InboundOptions {
  /** MESSENGER_APP_ID: echoes from this app are our own sends. */
  appId?: string | undefined;
}

/** Who owns a thread, as a `messaging_handovers` item says (notes/messenger.md §7). */
export interface Handover {
  psid: string;
  timestamp: number;
  /** `pass`: the thread was passed to this app; `take`: another app took it from this one; `request`: another app asks for it. */
  kind: "pass" | "take" | "request";
  newOwner?: string;
  previousOwner?: string;
  requestedOwner?: string;
}

/** A comment under one of the Page's posts (the `feed` field). */
export interface PageComment {
  commentId: string;
  postId?: string;
  /** The comment it answers, when it is a reply in a comment thread. */
  parentId?: string;
  pageId?: string;
  fromId?: string;
  fromName?: string;
  message: string;
}

/** What a delivery held besides the events we act on, for one debug line. */
export interface InboundSummary {
  events: InboundEvent[];
  /** Standby items that were not the user's words (reads, deliveries, payload-less postbacks). */
  standby: number;
  ignored: number;
  handovers: Handover[];
  comments: PageComment[];
}

const isObject = (v: unknown): v is object => asRecord(v) !== undefined;
const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v.filter(isObject) as T[]) : []);

/**
 * A webhook delivery → the events the bot acts on, oldest first. Every `entry` and every
 * `messaging` item counts (Meta batches under load); the user's words in `standby` items
 * (a thread another app owns: the Page Inbox) become `standby` events, shown to operators and
 * never answered; `messaging_handovers` items and Page comments (`changes`, field `feed`) are
 * returned apart; deliveries, reads, reactions, our own echoes and unknown items are
 * acknowledged and dropped. Any JSON is read: objects
 * and lists are checked before use, scalars are read by type (a field of the wrong type is
 * absent), so a malformed item is one more ignored item, never a throw.
 */
export function parseDelivery(body: unknown, opts: InboundOptions = {}, now = Date.now()): InboundSummary {
  const out: InboundSummary = { events: [], standby: 0, ignored: 0, handovers: [], comments: [] };
  if (!isObject(body)) return out;
  const b = body as WebhookBody;
  if (b.object !== undefined && b.object !== "page") {
    out.ignored++;
    return out;
  }
  const dated: { e: InboundEvent; order: number }[] = [];
  for (const entry of list<NonNullable<WebhookBody["entry"]>[number]>(b.entry)) {
    for (const item of list<MessagingItem>(entry.standby)) {
      // Another app (the Page Inbox) owns this thread: the user's words are shown to operators, never answered.
      const e = mapStandby(item, readNumber(entry.time), opts, now);
      if (e) dated.push({ e, order: dated.length });
      else out.standby++;
    }
    for (const item of list<MessagingItem>(entry.messaging)) {
      const h = mapHandover(item, readNumber(entry.time), now);
      if (h) {
        out.handovers.push(h);
        continue;
      }
      const e = mapItem(item, readNumber(entry.time), opts, now);
      if (e) dated.push({ e, order: dated.length });
      else out.ignored++;
    }
    for (const change of list<{ field?: unknown; value?: unknown }>(entry.changes)) {
      const c = change.field === "feed" ? mapComment(change.value, str(entry.id)) : undefined;
      if (c) out.comments.push(c);
      else out.ignored++;
    }
  }
  // Retries can reorder deliveries: the item's own timestamp is the order (stable for ties).
  dated.sort((x, y) => x.e.timestamp - y.e.timestamp || x.order - y.order);
  out.events = dated.map((d) => d.e);
  return out;
}

/** Convenience for callers that only want the events. */
export function toInboundEvents(body: unknown, opts: InboundOptions = {}): InboundEvent[] {
  return parseDelivery(body, opts).events;
}

function mapItem(
  item: MessagingItem,
  entryTime: number | undefined,
  opts: InboundOptions,
  now: number,
): InboundEvent | undefined {
  const sender = str(item.sender?.id);
  const recipient = str(item.recipient?.id);
  // The item's own time; the entry's when it has none (both Meta's clock, in ms).
  const timestamp = readNumber(item.timestamp) ?? entryTime ?? now;

  if (isObject(item.message)) {
    const m = item.message;
    if (m.is_echo === true) return mapEcho(m, sender, recipient, timestamp, opts);
    if (!sender) return undefined;
    return mapMessage(m, sender, recipient, timestamp);
  }
  if (!sender) return undefined;
  const base = (id: string): InboundEvent => ({
    id,
    channel: "messenger",
    userId: sender,
    timestamp,
    kind: "message",
    ...(recipient ? { meta: { pageId: recipient } } : {}),
  });

  if (isObject(item.postback)) {
    const p = item.postback;
    const payload = str(p.payload);
    const ref = str(p.referral?.ref);
    const mid = str(p.mid);
    if (!payload && !ref) return undefined; // a standby copy carries no payload: nothing to act on
    const e = base(`messenger:postback:${mid ?? `${sender}:${timestamp}:${payload ?? ref ?? ""}`}`);
    if (mid) e.platformMessageId = mid;
    if (ref) {
      // Get Started tapped after opening m.me/<page>?ref=…: a first contact with its deep link.
      e.kind = "start";
      e.payload = ref;
      return e;
    }
    e.kind = "postback";
    e.payload = payload;
    const title = str(p.title);
    if (title) e.text = title;
    return e;
  }
  if (isObject(item.referral)) {
    const referral: WebhookReferral = item.referral;
    // m.me/<page>?ref=… into an existing thread, or an ad click-through.
    const e = base(`messenger:referral:${sender}:${timestamp}`);
    e.kind = "start";
    const ref = str(referral.ref);
    if (ref) e.payload = ref;
    return e;
  }
  // delivery, read, reaction, handovers, policy notices: acknowledged, nothing to do.
  return undefined;
}

/** A standby item: the user's message or attachment → `standby`; a person's echo → `human_reply`; else nothing. */
function mapStandby(
  item: MessagingItem,
  entryTime: number | undefined,
  opts: InboundOptions,
  now: number,
): InboundEvent | undefined {
  if (!isObject(item.message)) return undefined; // reads, deliveries, postbacks (no payload in standby)
  const e = mapItem(item, entryTime, opts, now);
  if (!e || e.kind === "human_reply") return e;
  e.kind = "standby";
  delete e.payload;
  return e;
}

/** A `messaging_handovers` item, or undefined when the item is something else. */
function mapHandover(item: MessagingItem, entryTime: number | undefined, now: number): Handover | undefined {
  const psid = str(item.sender?.id);
  const timestamp = readNumber(item.timestamp) ?? entryTime ?? now;
  const pass = asRecord(item.pass_thread_control);
  const take = asRecord(item.take_thread_control);
  const request = asRecord(item.request_thread_control);
  const what = pass ?? take ?? request;
  if (!what || !psid) return undefined;
  const h: Handover = { psid, timestamp, kind: pass ? "pass" : take ? "take" : "request" };
  const newOwner = str(what.new_owner_app_id);
  const previousOwner = str(what.previous_owner_app_id);
  const requestedOwner = str(what.requested_owner_app_id);
  if (newOwner) h.newOwner = newOwner;
  if (previousOwner) h.previousOwner = previousOwner;
  if (requestedOwner) h.requestedOwner = requestedOwner;
  return h;
}

/** A new comment (`feed`, item `comment`, verb `add`) with words in it; anything else is ignored. */
function mapComment(value: unknown, pageId: string | undefined): PageComment | undefined {
  const v = asRecord(value);
  if (v?.item !== "comment" || v.verb !== "add") return undefined;
  const commentId = str(v.comment_id);
  const message = typeof v.message === "string" ? v.message.trim() : "";
  if (!commentId || !message) return undefined;
  const from = asRecord(v.from);
  const c: PageComment = { commentId, message };
  const postId = str(v.post_id);
  const parentId = str(v.parent_id);
  const fromId = str(from?.id);
  const fromName = typeof from?.name === "string" ? from.name : undefined;
  if (postId) c.postId = postId;
  if (parentId) c.parentId = parentId;
  if (pageId) c.pageId = pageId;
  if (fromId) c.fromId = fromId;
  if (fromName) c.fromName = fromName;
  return c;
}

function mapEcho(
  m: WebhookMessage,
  page: string | undefined,
  user: string | undefined,
  timestamp: number,
  opts: InboundOptions,
): InboundEvent | undefined {
  if (!user) return undefined;
  const appId = str(m.app_id);
  const ours = (opts.appId !== undefined && appId === opts.appId) || isOurMetadata(m.metadata);
  // Without MESSENGER_APP_ID only the metadata tag tells our sends apart: anything else is a person.
  if (ours) return undefined;
  const mid = str(m.mid);
  const e: InboundEvent = {
    id: mid ? `messenger:mid:${mid}` : `messenger:echo:${user}:${timestamp}`,
    channel: "messenger",
    userId: user,
    timestamp,
    kind: "human_reply",
    ...(page ? { meta: { pageId: page } } : {}),
  };
  if (mid) e.platformMessageId = mid;
  const text = str(m.text);
  if (text) e.text = text;
  return e;
}

export function isOurMetadata(metadata: unknown): boolean {
  return typeof metadata === "string" && (metadata === METADATA_TAG || metadata.startsWith(`${METADATA_TAG}:`));
}

function mapMessage(
  m: WebhookMessage,
  sender: string,
  page: string | undefined,
  timestamp: number,
): InboundEvent | undefined {
  const mid = str(m.mid);
  const text = typeof m.text === "string" ? m.text : undefined;
  const attachments = list<WebhookAttachment>(m.attachments)
    .map(mapAttachment)
    .filter((a): a is Attachment => !!a);
  const qrPayload = str(m.quick_reply?.payload);
  if (!text && attachments.length === 0 && !qrPayload) return undefined;
  const e: InboundEvent = {
    id: mid ? `messenger:mid:${mid}` : `messenger:msg:${sender}:${timestamp}`,
    channel: "messenger",
    userId: sender,
    timestamp,
    kind: qrPayload ? "postback" : "message",
    ...(page ? { meta: { pageId: page } } : {}),
  };
  if (mid) e.platformMessageId = mid;
  if (text) e.text = text;
  if (qrPayload) e.payload = qrPayload;
  if (attachments.length > 0) e.attachments = attachments;
  return e;
}

function mapAttachment(a: WebhookAttachment): Attachment | undefined {
  const p = isObject(a.payload) ? a.payload : undefined;
  const url = str(p?.url);
  const withUrl = (x: Attachment): Attachment => (url ? { ...x, url } : x);
  const title = str(p?.title) ?? str(a.title);
  switch (a.type) {
    case "image":
      // Until 2026-08-30 stickers also arrive as images carrying a sticker_id.
      return withUrl({ type: p?.sticker_id !== undefined ? "sticker" : "image" });
    case "sticker":
      return withUrl({ type: "sticker" });
    case "audio":
    case "video":
      return withUrl({ type: a.type });
    case "file":
      return withUrl(title ? { type: "file", name: title } : { type: "file" });
    case "location": {
      const lat = p?.coordinates?.lat;
      const long = p?.coordinates?.long;
      const loc: Attachment = { type: "location" };
      if (typeof lat === "number" && typeof long === "number") {
        loc.latitude = lat;
        loc.longitude = long;
      }
      if (title) loc.name = title;
      return withUrl(loc);
    }
    default: {
      // fallback (shared links), reels, posts, templates and types Meta adds later: a link.
      const link: Attachment = { type: "link" };
      if (title) link.name = title;
      return withUrl(link);
    }
  }
}
