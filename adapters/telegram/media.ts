import { type Api, InputFile } from "grammy";
import type { Message } from "grammy/types";
import { megabytes } from "../../src/media/download.js";
import { extensionOf } from "../../src/media/sniff.js";
import { MediaError, type MediaSource } from "../../src/ports/media.js";
import type { Attachment } from "../../src/ports/message.js";
import { TELEGRAM_DOWNLOAD_LIMIT } from "./capabilities.js";

/** Where the message goes: a chat, and in the operators' group a topic or a reply. */
export type Where = Record<string, unknown>;

/**
 * A stored file to Telegram by multipart upload, with the method for what it is (`as`, from
 * the capabilities' media rules): a voice note re-sent with sendDocument, or a sticker with
 * sendPhoto, would fail with "type of file mismatch", and sendDocument by URL takes only
 * GIF, PDF and ZIP (Bot API "Sending files"): an upload takes everything.
 */
export async function sendStored(
  api: Api,
  chatId: string | number,
  as: string,
  a: Attachment,
  bytes: Buffer,
  where: Where = {},
  caption?: string,
): Promise<Message> {
  const file = new InputFile(bytes, a.name ?? `file.${extensionOf(a.mime ?? "")}`);
  const extra = { ...where, ...(caption && as !== "sticker" ? { caption: caption.slice(0, 1024) } : {}) };
  switch (as) {
    case "photo":
      return api.sendPhoto(chatId, file, extra);
    case "voice":
      return api.sendVoice(chatId, file, extra);
    case "audio":
      return api.sendAudio(chatId, file, extra);
    case "video":
      return api.sendVideo(chatId, file, extra);
    case "sticker":
      return api.sendSticker(chatId, file, where);
    default:
      return api.sendDocument(chatId, file, extra);
  }
}

/** A shared place, as Telegram shows it (a map). */
export function sendPlace(api: Api, chatId: string | number, a: Attachment, where: Where = {}): Promise<Message> {
  return api.sendLocation(chatId, a.latitude ?? 0, a.longitude ?? 0, where);
}

/**
 * Where a Telegram file is fetched from: `getFile` gives its path, valid for an hour, under
 * `<apiRoot>/file/bot<token>/`. Bots may download up to 20 MB; a larger file is refused
 * before asking (its size came with the update).
 */
export async function telegramSource(
  api: Api,
  apiRoot: string,
  token: string,
  a: Attachment,
): Promise<MediaSource | undefined> {
  if (!a.fileId) return undefined;
  const limit = TELEGRAM_DOWNLOAD_LIMIT;
  const tooLarge = (size: number) =>
    new MediaError(
      `too large to fetch: ${megabytes(size)}, Telegram lets bots download up to ${megabytes(limit)}`,
      "too_large",
    );
  if (a.size !== undefined && a.size > limit) throw tooLarge(a.size);
  let file: Awaited<ReturnType<Api["getFile"]>>;
  try {
    file = await api.getFile(a.fileId);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (/too big/i.test(text)) throw tooLarge(a.size ?? limit + 1);
    throw new MediaError("Telegram did not give the file (getFile failed)", "fetch");
  }
  if (!file.file_path) throw new MediaError("Telegram gave no path for the file", "fetch");
  const source: MediaSource = { url: `${apiRoot.replace(/\/+$/, "")}/file/bot${token}/${file.file_path}` };
  if (file.file_size !== undefined) source.size = file.file_size;
  return source;
}
