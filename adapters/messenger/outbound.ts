import type { Button, OutboundMessage } from "../../src/ports/message.js";
import type { FailureReason, SendOutcome } from "../../src/ports/queue.js";
import { shorten, splitText } from "../../src/render/render.js";
import { MAX_OPERATOR_NAME, MAX_PAYLOAD, MESSENGER_CAPABILITIES, METADATA_TAG } from "./capabilities.js";
import type { GraphResult } from "./client.js";
import type { SendButton, SendMessage, SendQuickReply } from "./types.js";

/**
 * One message, rendered by the runtime for MESSENGER_CAPABILITIES (text under 2,000
 * characters, at most 13 quick replies of 20 characters, at most 3 buttons under a text of
 * at most 640), → the `message` objects of Send API calls, in order: usually one; an image
 * with a caption is the caption's text, then the image (Messenger shows no captions).
 */
export function toSendMessages(
  msg: OutboundMessage,
  opts: { metadata?: string; nameAbove?: boolean } = {},
): SendMessage[] {
  const metadata = opts.metadata ?? METADATA_TAG;
  const out: SendMessage[] = [];
  // An operator's name above their words (when no persona shows it): the capabilities keep room for it.
  const name = opts.nameAbove && msg.from?.kind === "operator" ? `${shorten(msg.from.name, MAX_OPERATOR_NAME)}:\n` : "";
  const said = msg.text?.trim() ?? "";
  const text = name && said ? `${name}${said}` : said;
  if (msg.buttons?.length) {
    out.push(buttonTemplate(text, msg.buttons));
  } else if (text) {
    out.push({ text });
  }
  if (msg.image) {
    const caption = msg.image.caption?.trim();
    if (caption) out.push(...splitText(caption, MESSENGER_CAPABILITIES.maxTextLength).map((t) => ({ text: t })));
    out.push({ attachment: { type: "image", payload: { url: msg.image.url, is_reusable: true } } });
  }
  // Quick replies vanish with the next message, so they ride on the last one.
  const last = out[out.length - 1];
  if (last && msg.quickReplies?.length) last.quick_replies = msg.quickReplies.map(toQuickReply);
  for (const m of out) m.metadata = metadata;
  return out;
}

function toQuickReply(q: { label: string; payload: string }): SendQuickReply {
  return {
    content_type: "text",
    title: shorten(q.label, MESSENGER_CAPABILITIES.maxQuickReplyTitle),
    payload: q.payload.slice(0, MAX_PAYLOAD),
  };
}

/** A button template; a phone number Meta cannot dial (no country code) becomes a text line instead. */
function buttonTemplate(text: string, buttons: Button[]): SendMessage {
  const lines: string[] = [];
  const mapped: SendButton[] = [];
  for (const b of buttons.slice(0, MESSENGER_CAPABILITIES.maxButtons)) {
    const title = shorten(b.label, MESSENGER_CAPABILITIES.maxButtonTitle);
    if (b.type === "url") mapped.push({ type: "web_url", url: b.url, title });
    else if (b.type === "postback") mapped.push({ type: "postback", title, payload: b.payload.slice(0, MAX_PAYLOAD) });
    else {
      const phone = toE164(b.phone);
      if (phone) mapped.push({ type: "phone_number", title, payload: phone });
      else lines.push(`${b.label}: ${b.phone}`);
    }
  }
  let body = [text, ...lines].filter(Boolean).join("\n");
  if (mapped.length === 0) return { text: body || buttons.map((b) => b.label).join(" · ") };
  if (!body) body = mapped.map((b) => b.title).join(" · ");
  return {
    attachment: {
      type: "template",
      payload: {
        template_type: "button",
        text: shorten(body, MESSENGER_CAPABILITIES.maxTextWithButtons),
        buttons: mapped,
      },
    },
  };
}

/**
 * The call button wants `+<country><number>`. Numbers written the Vietnamese way
 * (`0903 123 456`, `028 3822 6868`) get +84; short service numbers (`1900 6868`) cannot be
 * dialled from a call button and return undefined.
 */
export function toE164(phone: string): string | undefined {
  const s = phone.replace(/[\s.\-()/]/g, "");
  if (/^\+\d{6,15}$/.test(s)) return s;
  if (/^00\d{6,15}$/.test(s)) return `+${s.slice(2)}`;
  if (/^0\d{8,10}$/.test(s)) return `+84${s.slice(1)}`;
  return undefined;
}

/** Codes Meta documents as passing: retried with backoff. */
const TRANSIENT_CODES = new Set([1, 2, 1200]);
/** Rate limits: retried, but not sooner than a second. */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
const RATE_LIMIT_PAUSE_MS = 1_000;
/**
 * Meta's error-code table (developers.facebook.com/documentation/business-messaging/
 * messenger-platform/error-codes, June 2026): code 10 with these subcodes is "sent outside
 * of allowed window" (2018065: and the News Messaging permission is missing).
 */
const WINDOW_SUBCODES = new Set([2018278, 2534022, 2018065]);
/** The person cannot be reached: 2018108 "They can't receive your messages right now", 1545041 "isn't available". */
const BLOCKED_SUBCODES = new Set([2018108, 1545041]);
/** "Message failed to send because another app is controlling this thread now." */
export const THREAD_CONTROLLED_SUBCODE = 2018300;
/** "The chat is currently controlled by Messenger while the user is in an automated question and answer flow." */
const AUTOMATED_FLOW_SUBCODE = 2018321;
const AUTOMATED_FLOW_PAUSE_MS = 30_000;

export interface Classified {
  outcome: SendOutcome;
  /** Error 190: the Page access token is invalid or expired. */
  tokenInvalid: boolean;
  /** Another app (the Page Inbox) owns the conversation: take it back, or leave it. */
  threadControlled?: boolean;
}

/**
 * A Graph API result → ok / permanent (with its `reason`) / transient (with a wait), in words
 * operators can act on. `tagged`: the message went with the HUMAN_AGENT tag, so a refusal that
 * is not about the window is the app lacking Meta's Human Agent feature (Meta documents no
 * subcode for it: any code 10 or 200 refusal of a tagged message that is neither the window nor
 * a blocked person is read that way).
 */
export function classifyError(r: GraphResult, opts: { tagged?: boolean } = {}): Classified {
  if (r.ok) return { outcome: { ok: true }, tokenInvalid: false };
  const transient = (error: string, retryAfterMs?: number): Classified => {
    const outcome: SendOutcome = { ok: false, permanent: false, error };
    const wait = Math.max(retryAfterMs ?? 0, r.retryAfterMs ?? 0);
    if (wait > 0) outcome.retryAfterMs = wait;
    return { outcome, tokenInvalid: false };
  };
  const permanent = (error: string, reason: FailureReason, extra: Partial<Classified> = {}): Classified => ({
    outcome: { ok: false, permanent: true, error, reason },
    tokenInvalid: false,
    ...extra,
  });
  if (r.network !== undefined) return transient(`Messenger unreachable (${r.network})`);
  const e = r.error;
  const code = e?.code;
  const sub = e?.error_subcode;
  const said = e?.message ?? "";
  const what = `Messenger error ${code ?? `HTTP ${r.status}`}${sub ? `/${sub}` : ""}${said ? `: ${said}` : ""}`;
  if (code === 190)
    return permanent(`the Page access token is invalid or expired (${what})`, "auth", { tokenInvalid: true });
  if (sub === THREAD_CONTROLLED_SUBCODE || /another app is controlling this thread/i.test(said)) {
    return permanent(`the Page Inbox (or another app) has this conversation (${what})`, "other", {
      threadControlled: true,
    });
  }
  if (sub === AUTOMATED_FLOW_SUBCODE) {
    return transient(`Messenger's own automated questions hold the chat for now (${what})`, AUTOMATED_FLOW_PAUSE_MS);
  }
  if (code === 551 || (sub !== undefined && BLOCKED_SUBCODES.has(sub)) || code === 230) {
    return permanent(`this person isn't receiving messages from the Page right now (${what})`, "blocked");
  }
  const windowSaid = (sub !== undefined && WINDOW_SUBCODES.has(sub)) || /outside of (the )?allowed window/i.test(said);
  if (opts.tagged && (code === 10 || code === 200) && !windowSaid) {
    return permanent(
      `Meta refused a person's reply tagged HUMAN_AGENT: the app lacks the Human Agent feature (request it in App Review, or set MESSENGER_HUMAN_AGENT=off so replies after 24 hours are not attempted) (${what})`,
      "auth",
    );
  }
  if (code === 10 && windowSaid) {
    return permanent(
      opts.tagged
        ? `outside the 7-day window for a person's reply: the user has to write first (${what})`
        : `outside the 24-hour messaging window: the user has to write first (${what})`,
      "window_closed",
    );
  }
  // A permission the app or Page lacks (10 without a window subcode; 200: pages_messaging not reviewed…).
  if (code === 10 || code === 200) return permanent(`the app may not send this message (${what})`, "auth");
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) return transient(`rate limited (${what})`, RATE_LIMIT_PAUSE_MS);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return transient(what);
  if (e?.is_transient) return transient(what);
  if (r.status !== undefined && (r.status >= 500 || r.status === 429)) return transient(what);
  // 100 (bad parameter), 368 (abusive), anything else: the same request would fail again.
  return permanent(what, "other");
}
