import type { ChannelCapabilities } from "../ports/capabilities.js";
import type { Button, OutboundMessage, QuickReply } from "../ports/message.js";

/**
 * Fit one message to a channel: split long text without breaking words, shorten titles,
 * turn what the channel cannot show into text it can. Returns the messages to send, in
 * order; quick replies ride on the last one so they stay under the newest message.
 */
export function render(msg: OutboundMessage, caps: ChannelCapabilities): OutboundMessage[] {
  const lines: string[] = [];
  const quickReplies: QuickReply[] = [...(msg.quickReplies ?? [])];
  const buttons: Button[] = [];
  for (const b of msg.buttons ?? []) {
    if (caps.buttonTypes.includes(b.type)) buttons.push(b);
    else if (b.type === "postback") quickReplies.push({ label: b.label, payload: b.payload });
    else lines.push(`${b.label}: ${b.type === "url" ? b.url : b.phone}`);
  }

  let text = (msg.text ?? "").normalize("NFC").trim();
  if (lines.length > 0) text = [text, ...lines].filter(Boolean).join("\n");

  let qrs = quickReplies.map((q) => ({ label: shorten(q.label, caps.maxQuickReplyTitle), payload: q.payload }));
  if (qrs.length > caps.maxQuickReplies) {
    if (caps.maxQuickReplies === 0) {
      // No quick replies here: number them, and the engine maps "1", "2"… back to payloads.
      text = [text, ...qrs.map((q, i) => `${i + 1}. ${q.label}`)].filter(Boolean).join("\n");
      qrs = [];
    } else {
      qrs = qrs.slice(0, caps.maxQuickReplies);
    }
  }

  const out: OutboundMessage[] = [];
  const from = msg.from;
  const withFrom = (m: OutboundMessage): OutboundMessage => (from ? { ...m, from } : m);
  let btns = buttons.map((b) => ({ ...b, label: shorten(b.label, caps.maxButtonTitle) }));
  const chunks = splitText(text, caps.maxTextLength);

  // Buttons need a text short enough to carry them, and some channels cannot mix them with quick replies.
  if (btns.length > 0) {
    const last = chunks[chunks.length - 1] ?? "";
    const separate = !caps.quickRepliesWithButtons && qrs.length > 0;
    if (last.length > caps.maxTextWithButtons || separate) {
      if (chunks.length <= 1 && separate) {
        // Nothing else to carry them: the buttons become text lines, quick replies keep the message.
        const asText = btns.map(
          (b) => `${b.label}: ${b.type === "url" ? b.url : b.type === "phone" ? b.phone : b.label}`,
        );
        chunks[0] = [last, ...asText].filter(Boolean).join("\n");
        btns = [];
      } else if (last.length > caps.maxTextWithButtons) {
        chunks.splice(chunks.length - 1, 1, ...splitText(last, caps.maxTextWithButtons));
      }
    }
  }

  const buttonGroups: Button[][] = [];
  for (let i = 0; i < btns.length; i += Math.max(1, caps.maxButtons))
    buttonGroups.push(btns.slice(i, i + caps.maxButtons));

  chunks.forEach((chunk, i) => {
    const isLast = i === chunks.length - 1;
    const m: OutboundMessage = { text: chunk };
    if (isLast && buttonGroups.length > 0 && (caps.quickRepliesWithButtons || qrs.length === 0)) {
      m.buttons = buttonGroups.shift();
    } else if (
      !isLast &&
      i === chunks.length - 2 &&
      buttonGroups.length > 0 &&
      !caps.quickRepliesWithButtons &&
      qrs.length > 0
    ) {
      m.buttons = buttonGroups.shift();
    }
    if (isLast && qrs.length > 0 && buttonGroups.length === 0) m.quickReplies = qrs;
    out.push(withFrom(m));
  });
  // More buttons than one message holds: the rest follow, each group with a short label line.
  for (const [gi, group] of buttonGroups.entries()) {
    const isLast = gi === buttonGroups.length - 1;
    const m: OutboundMessage = { text: group.map((b) => b.label).join(" · "), buttons: group };
    if (isLast && qrs.length > 0 && caps.quickRepliesWithButtons) m.quickReplies = qrs;
    out.push(withFrom(m));
    if (isLast && qrs.length > 0 && !caps.quickRepliesWithButtons) {
      out.push(withFrom({ text: "…", quickReplies: qrs }));
    }
  }

  if (msg.image) {
    // Quick replies belong under the newest message: move them onto the image.
    const last = out[out.length - 1];
    const moved = last?.quickReplies;
    if (last && moved) delete last.quickReplies;
    const image: OutboundMessage = caps.images
      ? { image: msg.image }
      : { text: [msg.image.caption, msg.image.url].filter(Boolean).join("\n") };
    if (moved) image.quickReplies = moved;
    out.push(withFrom(image));
  }
  // A stored file travels alone: the adapter picks the platform's way to send it.
  if (msg.attachment) out.push(withFrom({ attachment: msg.attachment }));
  const parts = out.filter((m) => m.text || m.image || m.attachment || m.buttons?.length);
  // A one-tap "share your phone number" rides on the last part, where the channel has one.
  const last = parts[parts.length - 1];
  if (msg.ask && caps.contactRequest && last) last.ask = msg.ask;
  return parts;
}

/** Shorten to `max` characters with an ellipsis, on a word boundary when one is close. */
export function shorten(s: string, max: number): string {
  const t = s.normalize("NFC");
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space >= max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * Split text into chunks of at most `max` characters, preferring paragraph breaks, then
 * line breaks, then sentence ends, then spaces. A word is only cut when it alone is longer
 * than `max`.
 */
export function splitText(text: string, max: number): string[] {
  const t = text.normalize("NFC");
  if (t.length <= max) return t ? [t] : [""];
  const out: string[] = [];
  let rest = t;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let at = -1;
    for (const sep of ["\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "]) {
      const i = window.lastIndexOf(sep, max - (sep.length === 1 ? 0 : sep.length - 1));
      if (i > max * 0.3) {
        at = i + (sep.trim() === "" ? 0 : sep.trimEnd().length);
        break;
      }
    }
    if (at <= 0) {
      const i = window.lastIndexOf(" ");
      at = i > 0 ? i : max;
    }
    // Never leave a lone surrogate half at a hard cut.
    const code = rest.charCodeAt(at - 1);
    if (code >= 0xd800 && code <= 0xdbff) at--;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}
