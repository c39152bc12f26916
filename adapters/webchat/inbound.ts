import { z } from "zod";
import type { InboundEvent } from "../../src/ports/message.js";
import { LANGS } from "../../src/ports/vocabulary.js";
import { isBlank } from "../../src/text/blank.js";
import type { ClientFrame, ErrorCode } from "./types.js";

/** Visitor ids are made by the server (128 random bits); a stored one must look like it. */
export const VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;
const CLIENT_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "id: 1-64 characters of A-Z a-z 0-9 _ -");

const Frame = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("hello"),
      visitor: z.string().max(64).optional(),
      secret: z.string().max(128).optional(),
      lang: z.enum(LANGS).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("message"),
      id: CLIENT_ID,
      text: z.string(),
      attachments: z
        .array(z.string().regex(/^[A-Za-z0-9_-]{16,64}$/))
        .max(5)
        .optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("postback"),
      id: CLIENT_ID,
      payload: z.string().min(1).max(1000),
      text: z.string().max(200).optional(),
    })
    .strict(),
]);

export type Parsed =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; reason: string; id?: string; count?: number };

/** Characters as people count them (code points, after NFC), the same count the page shows. */
export const charCount = (s: string) => Array.from(s).length;

/** One frame from the browser, checked; never throws. */
export function parseFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, maxChars: number): Parsed {
  if (isBinary) return { ok: false, code: "malformed", reason: "binary frames are not accepted: send JSON text" };
  const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    return { ok: false, code: "malformed", reason: "the frame is not JSON" };
  }
  const r = Frame.safeParse(json);
  if (!r.success) {
    const id = (json as { id?: unknown } | null)?.id;
    const issue = r.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      ok: false,
      code: "malformed",
      reason: `${where}${issue?.message ?? "unexpected frame"}`,
      ...(typeof id === "string" && CLIENT_ID.safeParse(id).success ? { id } : {}),
    };
  }
  const frame = r.data;
  if (frame.type === "message") {
    const text = frame.text.normalize("NFC").trim();
    if (isBlank(text) && !frame.attachments?.length)
      return { ok: false, code: "malformed", reason: "the message is empty", id: frame.id };
    const count = charCount(text);
    if (count > maxChars)
      return { ok: false, code: "too_long", reason: `longer than ${maxChars} characters`, id: frame.id, count };
    return { ok: true, frame: { ...frame, text } };
  }
  if (frame.type === "postback" && frame.text !== undefined) {
    return { ok: true, frame: { ...frame, text: frame.text.normalize("NFC").trim() } };
  }
  return { ok: true, frame };
}

/** The event for a typed message or a tapped button; its id makes a resend after a reconnect a duplicate. */
export function eventOf(
  visitor: string,
  frame: Extract<ClientFrame, { type: "message" | "postback" }>,
  now: number,
): InboundEvent {
  const base = { id: `webchat:${visitor}:${frame.id}`, channel: "webchat" as const, userId: visitor, timestamp: now };
  if (frame.type === "message") {
    const e: InboundEvent = { ...base, kind: "message" };
    if (frame.text) e.text = frame.text;
    // Uploaded already: the runtime checks each id belongs to this visitor and reads what it is.
    if (frame.attachments?.length) e.attachments = frame.attachments.map((mediaId) => ({ type: "file", mediaId }));
    return e;
  }
  return { ...base, kind: "postback", payload: frame.payload, ...(frame.text ? { text: frame.text } : {}) };
}

/** A new visitor's first contact: the engine greets them (with the menu), in the page's language. */
export function startEvent(visitor: string, now: number, lang?: string): InboundEvent {
  const e: InboundEvent = {
    id: `webchat:${visitor}:start`,
    channel: "webchat",
    userId: visitor,
    timestamp: now,
    kind: "start",
  };
  if (lang) e.meta = { lang };
  return e;
}
