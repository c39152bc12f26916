import type { Button, OutboundMessage } from "../../src/ports/message.js";
import type { SendOutcome } from "../../src/ports/queue.js";
import { shorten, splitText } from "../../src/render/render.js";
import { MAX_PAYLOAD, MESSENGER_CAPABILITIES, METADATA_TAG } from "./capabilities.js";
import type { GraphResult } from "./client.js";
import type { SendButton, SendMessage, SendQuickReply } from "./types.js";

/**
 * One message, rendered by the runtime for MESSENGER_CAPABILITIES (text under 2,000
 * characters, at most 13 quick replies of 20 characters, at most 3 buttons under a text of
 * at most 640), → the `message` objects of Send API calls, in order: usually one; an image
 * with a caption is the caption's text, then the image (Messenger shows no captions).
 */
export function toSendMessages(msg: OutboundMessage, metadata = METADATA_TAG): SendMessage[] {
  const out: SendMessage[] = [];
  const text = msg.text?.trim() ?? "";
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
/** Never retried: the same request would fail again (notes/messenger.md §6). */
const PERMANENT_CODES = new Set([10, 100, 190, 200, 230, 368, 551]);
const RATE_LIMIT_PAUSE_MS = 1_000;

export interface Classified {
  outcome: SendOutcome;
  /** Error 190: the Page access token is invalid or expired. */
  tokenInvalid: boolean;
}

/** A Graph API result → ok / permanent / transient (with a wait), in words operators can act on. */
export function classifyError(r: GraphResult): Classified {
  if (r.ok) return { outcome: { ok: true }, tokenInvalid: false };
  const transient = (error: string, retryAfterMs?: number): Classified => {
    const outcome: SendOutcome = { ok: false, permanent: false, error };
    const wait = Math.max(retryAfterMs ?? 0, r.retryAfterMs ?? 0);
    if (wait > 0) outcome.retryAfterMs = wait;
    return { outcome, tokenInvalid: false };
  };
  const permanent = (error: string, tokenInvalid = false): Classified => ({
    outcome: { ok: false, permanent: true, error },
    tokenInvalid,
  });
  if (r.network !== undefined) return transient(`Messenger unreachable (${r.network})`);
  const e = r.error;
  const code = e?.code;
  const sub = e?.error_subcode;
  const what = `Messenger error ${code ?? `HTTP ${r.status}`}${sub ? `/${sub}` : ""}${e?.message ? `: ${e.message}` : ""}`;
  if (code === 190) return permanent(`the Page access token is invalid or expired (${what})`, true);
  if (code === 10 || sub === 2018278 || sub === 2534022 || sub === 2018065 || sub === 2018108) {
    return permanent(`outside the messaging window: the user has to write first (${what})`);
  }
  if (code === 551 || sub === 1545041) return permanent(`this person isn't available right now (${what})`);
  if (code !== undefined && PERMANENT_CODES.has(code)) return permanent(what);
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) return transient(`rate limited (${what})`, RATE_LIMIT_PAUSE_MS);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return transient(what);
  if (e?.is_transient) return transient(what);
  if (r.status !== undefined && (r.status >= 500 || r.status === 429)) return transient(what);
  return permanent(what);
}
