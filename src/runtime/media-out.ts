import type { Texts } from "../engine/template.js";
import { megabytes } from "../media/download.js";
import { chooseRule, factsOf } from "../media/fit.js";
import type { ChannelCapabilities } from "../ports/capabilities.js";
import type { MediaPort } from "../ports/media.js";
import type { Attachment, OutboundMessage } from "../ports/message.js";

/** "Voice note, 1.2 MB, memo.ogg": a file as a person reads it, in the reader's language. */
export function describeFile(a: Attachment, texts: Texts): { what: string; size: string } {
  const kind = a.voice ? "voice" : a.type === "location" || a.type === "contact" || a.type === "link" ? "file" : a.type;
  const what = [texts.msg(`media_kind_${kind}`), a.name].filter(Boolean).join(" · ");
  return { what, size: a.size !== undefined ? megabytes(a.size) : "?" };
}

/**
 * A file the user's platform does not take (its type, its size) becomes a signed link to
 * hotro's copy when hotro has a public address (`PUBLIC_URL`); otherwise it goes to the
 * adapter as it is, which refuses it with the reason, shown to the operator on that file.
 */
export function fitForChannel(
  part: OutboundMessage,
  caps: ChannelCapabilities,
  media: MediaPort | undefined,
  texts: Texts,
): OutboundMessage {
  const a = part.attachment;
  const facts = a && factsOf(a);
  if (!a?.mediaId || !facts || !media) return part;
  if ("rule" in chooseRule(caps.media, facts)) return part;
  const url = media.link(a.mediaId, { absolute: true });
  if (!url) return part;
  const out: OutboundMessage = { text: texts.msg("media_link", { ...describeFile(a, texts), url }) };
  if (part.from) out.from = part.from;
  return out;
}
