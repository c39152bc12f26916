import type { Button, QuickReply } from "../../src/ports/message.js";
import type { Lang } from "../../src/ports/vocabulary.js";

/**
 * The live chat's wire protocol: JSON text frames over one WebSocket (`/webchat/ws`).
 *
 * Browser → server: `hello` first (the stored visitor id and its secret, or neither for a new
 * visitor; an id without its secret gets a new visitor too), then
 * `message` / `postback`, each with a client-made `id` that stays the same when the browser
 * resends it after a reconnect (the inbox drops the duplicate).
 *
 * Server → browser: `welcome` (the visitor id and the stored history; for a new visitor, also
 * their secret, for the browser to keep and present next time), `ack` (one per accepted
 * message, with what was recorded: secrets already masked), `message` (a new history entry),
 * `typing`, and `error` (a code, the client id it refers to, and a sentence for the page).
 */

/** One line of a visitor's history, as stored in the kv store and shown by the browser. */
export interface Entry {
  /** Position in the visitor's history: the browser orders and de-duplicates by it. */
  seq: number;
  /** `u:<client id>` for the visitor's messages (so a resend is stored once), random otherwise. */
  id: string;
  from: "user" | "bot" | "operator";
  /** The operator's name, for `from: "operator"`. */
  name?: string;
  text?: string;
  quickReplies?: QuickReply[];
  buttons?: Button[];
  image?: { url: string; caption?: string };
  /** Files from the media store; `link` is signed when the entry is sent to a browser (links expire). */
  files?: EntryFile[];
  /** ms since the epoch */
  at: number;
}

export interface EntryFile {
  mediaId: string;
  type: "image" | "audio" | "video" | "file";
  name?: string;
  size?: number;
  link?: string;
}

export type ClientFrame =
  | { type: "hello"; visitor?: string | undefined; secret?: string | undefined; lang?: Lang | undefined }
  /** `attachments`: ids `POST /webchat/upload` gave for this visitor's files. */
  | { type: "message"; id: string; text: string; attachments?: string[] | undefined }
  | { type: "postback"; id: string; payload: string; text?: string | undefined };

export type ErrorCode =
  | "malformed"
  | "hello_first"
  | "too_long"
  | "rate_limited"
  | "unavailable"
  /** Refused at hello: too many new visitors from the client's network; the socket is closed (1013). */
  | "too_many_visitors";

export type ServerFrame =
  | { type: "welcome"; visitor: string; history: Entry[]; secret?: string }
  | { type: "ack"; id: string; entry: Entry }
  | { type: "message"; entry: Entry }
  | { type: "typing" }
  | {
      type: "error";
      code: ErrorCode;
      /** For the page, in the visitor's interface language. */
      message: string;
      /** What exactly was wrong, for developers (not translated). */
      detail?: string;
      /** The client id of the message refused, when there is one. */
      id?: string;
      retryAfterMs?: number;
    };
