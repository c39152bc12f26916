import type { Button, OutboundMessage, QuickReply } from "../../src/ports/message.js";
import type { FailureReason } from "../../src/ports/queue.js";
import type { ZaloButton, ZaloSendBody } from "./types.js";

/**
 * Quick replies are `oa.query.hide` buttons: a tap sends the button's payload back as a
 * `user_send_text` whose text is that payload, hidden from the chat. To tell a tap from
 * something the user typed, the payload is encoded as
 *
 *     hotro:qr:<label, percent-encoded>:<payload>
 *
 * The label is percent-encoded (so it holds no `:`), the payload follows verbatim up to
 * the end. A typed message starting with `hotro:qr:` is read as that tap (harmless: it is
 * what tapping would do). Zalo allows 1,000 characters of payload: a label that would not
 * fit is left out.
 */
export const QR_PREFIX = "hotro:qr:";
const MAX_QUERY_PAYLOAD = 1000;

export function encodeQuickReply(q: QuickReply): string {
  const withLabel = `${QR_PREFIX}${encodeURIComponent(q.label)}:${q.payload}`;
  return withLabel.length <= MAX_QUERY_PAYLOAD ? withLabel : `${QR_PREFIX}:${q.payload}`;
}

export function decodeQuickReply(text: string): { payload: string; label?: string } | undefined {
  const t = text.trim();
  if (!t.startsWith(QR_PREFIX)) return undefined;
  const rest = t.slice(QR_PREFIX.length);
  const colon = rest.indexOf(":");
  if (colon < 0) return rest ? { payload: rest } : undefined;
  const payload = rest.slice(colon + 1);
  if (!payload) return undefined;
  let label: string | undefined;
  try {
    label = decodeURIComponent(rest.slice(0, colon)) || undefined;
  } catch {
    label = undefined;
  }
  return label ? { payload, label } : { payload };
}

function toButton(b: Button): ZaloButton {
  switch (b.type) {
    case "url":
      return { title: b.label, type: "oa.open.url", payload: { url: b.url } };
    case "phone":
      return { title: b.label, type: "oa.open.phone", payload: { phone_code: b.phone.replace(/[\s.()-]/g, "") } };
    case "postback":
      return { title: b.label, type: "oa.query.hide", payload: encodeQuickReply(b) };
  }
}

/**
 * One rendered message → the body of `POST /v3.0/oa/message/cs`. The renderer already split
 * the text (2,000 characters), capped buttons and quick replies (they share Zalo's button
 * list, so a message carries one or the other) and put an image in a message of its own.
 */
export function toZaloBody(userId: string, m: OutboundMessage, ref?: Reference): ZaloSendBody {
  return withReference(baseBody(userId, m), ref);
}

/** How a reply names the user's message it answers (ZALO_REPLY_REFERENCE), and that message's id. */
export interface Reference {
  mode: "quote" | "recipient" | "off";
  messageId: string;
}

/**
 * Tie a reply to the user's message: `recipient.message_id` in place of the user id, or
 * `message.quote_message_id` on a text (with or without its buttons; a media or
 * request_user_info template has no quote and keeps the user id).
 */
export function withReference(body: ZaloSendBody, ref: Reference | undefined): ZaloSendBody {
  if (!ref || ref.mode === "off" || !ref.messageId) return body;
  if (ref.mode === "recipient") return { ...body, recipient: { message_id: ref.messageId } };
  const payload = body.message.attachment?.payload;
  if (body.message.text === undefined || (payload && "template_type" in payload)) return body;
  return { ...body, message: { ...body.message, quote_message_id: ref.messageId } };
}

/** Zalo's "share your information" card (request_user_info): the user taps it, Zalo sends `user_submit_info`. */
export function userInfoCard(
  userId: string,
  card: { title: string; subtitle: string; imageUrl: string },
  ref?: Reference,
): ZaloSendBody {
  const body: ZaloSendBody = {
    recipient: { user_id: userId },
    message: {
      attachment: {
        type: "template",
        payload: {
          template_type: "request_user_info",
          elements: [
            {
              title: card.title.slice(0, USER_INFO_TITLE_MAX),
              subtitle: card.subtitle.slice(0, USER_INFO_SUBTITLE_MAX),
              image_url: card.imageUrl,
            },
          ],
        },
      },
    },
  };
  return withReference(body, ref);
}

/** Card lengths Zalo accepts (unconfirmed: third-party documentation; kept short). */
const USER_INFO_TITLE_MAX = 100;
const USER_INFO_SUBTITLE_MAX = 500;

function baseBody(userId: string, m: OutboundMessage): ZaloSendBody {
  const recipient = { user_id: userId };
  if (m.image) {
    const body: ZaloSendBody = {
      recipient,
      message: {
        attachment: {
          type: "template",
          payload: { template_type: "media", elements: [{ media_type: "image", url: m.image.url }] },
        },
      },
    };
    const caption = m.image.caption ?? m.text;
    if (caption) body.message.text = caption;
    return body;
  }
  const buttons: ZaloButton[] = [
    ...(m.buttons ?? []).map(toButton),
    ...(m.quickReplies ?? []).map(
      (q): ZaloButton => ({ title: q.label, type: "oa.query.hide", payload: encodeQuickReply(q) }),
    ),
  ];
  const text = m.text ?? "";
  if (buttons.length === 0) return { recipient, message: { text } };
  // A button list needs a text above it.
  return {
    recipient,
    message: { text: text || "…", attachment: { type: "template", payload: { buttons } } },
  };
}

/** What a Zalo error code means for a message: retry after a refresh, later, or never (and why). */
export type ErrorClass =
  | { kind: "auth" }
  | { kind: "transient"; error: string }
  | { kind: "permanent"; error: string; reason: FailureReason; config?: boolean };

/** Access token invalid or expired (Zalo has used all of these spellings). */
const AUTH = new Set([-216, -220, -401, 216, 401]);

/** What operators can do once Zalo's window is closed. */
export const ALTERNATIVES =
  "Wait for the user to write again (the window reopens), call them if a phone number is on the request, or send an approved ZNS template outside hotro";

const PERMANENT: Record<number, string> = {
  [-230]: `the user has not written to the OA in the last 7 days, so Zalo no longer accepts replies to them. ${ALTERNATIVES}`,
  [-232]: `the user's messaging window has expired, so Zalo no longer accepts replies to them. ${ALTERNATIVES}`,
  [-213]: "the user does not follow the OA (or has blocked it), so Zalo refuses the message",
  [-217]: "the user has blocked messages from the OA",
  [-227]: "the user's Zalo account is banned or has been inactive for more than 45 days",
  [-244]: "the user has restricted this kind of message from the OA",
  [-201]: "Zalo rejected the message as malformed",
  [-210]: "Zalo rejected the message: a field is over its limit",
  [-233]: "Zalo rejected the message type",
  [-100]: "Zalo no longer has the attachment",
  [-211]: "the OA is out of message quota",
  [-218]: "the OA is out of message quota",
  [-240]: "Zalo's v2 message API is shut down",
};

/** Codes that mean the app or OA set-up is wrong, not the message: worth an error log. */
const CONFIG: Record<number, string> = {
  [-223]: "the OA has not granted this app the messaging permission: an OA admin must re-authorise with it",
  [-242]: "Zalo rejected appsecret_proof",
  [-204]: "the OA is disabled",
  [-205]: "the OA does not exist",
  [-209]: "the app is not activated or does not have the Official Account API",
  [-212]: "the app does not have the Official Account API product",
  [-224]: "the OA's plan must be upgraded for this API",
};

/** Outside the window (-230 no interaction in 7 days, -232 interaction expired). */
const WINDOW = new Set([-230, -232]);
/** The user cannot be reached: not a follower or blocked, banned or inactive, restricted. */
const BLOCKED = new Set([-213, -217, -227, -244]);
/** The request was malformed: a field Zalo does not take (a reference, a template it refuses). */
export const PAYLOAD_ERRORS = new Set([-201, -210, -233]);

export function classifyError(code: number, message: string | undefined): ErrorClass {
  if (AUTH.has(code)) return { kind: "auth" };
  const said = message ? `: ${message}` : "";
  if (code === -32) return { kind: "transient", error: `Zalo rate limit reached (error -32${said})` };
  const known = PERMANENT[code];
  const reason: FailureReason = WINDOW.has(code) ? "window_closed" : BLOCKED.has(code) ? "blocked" : "other";
  if (known) return { kind: "permanent", error: `${known} (Zalo error ${code}${said})`, reason };
  const config = CONFIG[code];
  if (config)
    return { kind: "permanent", error: `${config} (Zalo error ${code}${said})`, reason: "auth", config: true };
  return { kind: "permanent", error: `Zalo refused the message (error ${code}${said})`, reason: "other" };
}
