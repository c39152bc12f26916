import { randomUUID } from "node:crypto";
import type { OutboundMessage } from "../../src/ports/message.js";
import type { Entry } from "./types.js";

const WEB_URL = /^https?:\/\//i;

/**
 * A rendered message as a history entry (without its `seq`, given when it is stored). An
 * image a browser cannot load (a Telegram file id an operator posted) keeps its caption and
 * an empty URL, which the page shows as "image" rather than a broken picture.
 */
export function entryOf(m: OutboundMessage, at: number): Omit<Entry, "seq"> {
  const e: Omit<Entry, "seq"> = { id: `b:${randomUUID()}`, from: "bot", at };
  if (m.from?.kind === "operator") {
    e.from = "operator";
    e.name = m.from.name;
  }
  if (m.text) e.text = m.text;
  if (m.quickReplies?.length) e.quickReplies = m.quickReplies.map((q) => ({ label: q.label, payload: q.payload }));
  if (m.buttons?.length) e.buttons = m.buttons.map((b) => ({ ...b }));
  const a = m.attachment;
  if (a?.mediaId) {
    const type = a.type === "image" || a.type === "audio" || a.type === "video" ? a.type : "file";
    e.files = [
      {
        mediaId: a.mediaId,
        type,
        ...(a.name ? { name: a.name } : {}),
        ...(a.size !== undefined ? { size: a.size } : {}),
      },
    ];
  }
  if (m.image) {
    e.image = { url: WEB_URL.test(m.image.url) ? m.image.url : "" };
    if (m.image.caption) e.image.caption = m.image.caption;
  }
  return e;
}
