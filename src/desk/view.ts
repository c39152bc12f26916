import type { Keyv } from "keyv";
import type { ChannelCapabilities } from "../ports/capabilities.js";
import type { ChannelId } from "../ports/message.js";
import type { RequestRecord, RequestStore, TranscriptEntry } from "../ports/requests.js";
import type { StoredSession } from "../ports/session.js";
import type { Lang } from "../ports/vocabulary.js";
import { type InboxItem, itemOf } from "./inbox.js";

/** What the desk needs to know about channels (the adapters' data, looked up when asked). */
export interface ChannelInfo {
  name(channel: ChannelId): string;
  window(channel: ChannelId): ChannelCapabilities["replyWindow"];
  /** The user's name as their platform knows it (asked once, then kept on the request). */
  displayName?(channel: ChannelId, userId: string): Promise<string | undefined>;
}

/** A transcript entry as the console shows it: a failed delivery carries its error. */
export interface ViewEntry extends TranscriptEntry {
  error?: string;
}

/** The platform's messaging window for answering this user, as the console shows it. */
export interface ReplyWindow {
  /** When the user last wrote (ms); the window runs from there. */
  lastUserAt: number;
  /** Until when the bot's own messages are accepted... */
  botUntil: number;
  /** ...and a person's (Messenger's HUMAN_AGENT tag: 7 days). */
  personUntil: number;
  /** Until when replies are free; later ones are billed (Zalo OA: 48 h). Absent: never billed. */
  freeUntil?: number;
}

export interface RequestView {
  request: InboxItem;
  /** Masked at intake; notes and events in place; failures folded onto the message they concern. */
  transcript: ViewEntry[];
  channel: { id: ChannelId; name: string };
  /** Absent for channels without a window (Telegram, the live chat). */
  window?: ReplyWindow;
  /** The user's language, as the bot last spoke to them. */
  lang?: Lang;
  /** The same user's other requests on this channel, newest first. */
  others: RequestRecord[];
}

/** Failure reports folded onto the message they concern; the reports themselves are not listed. */
export function foldFailures(transcript: TranscriptEntry[]): ViewEntry[] {
  const errors = new Map<string, string>();
  for (const e of transcript) if (e.kind === "failure" && e.ref) errors.set(e.ref, e.text);
  return transcript
    .filter((e) => e.kind !== "failure")
    .map((e) => {
      const error = e.id ? errors.get(e.id) : undefined;
      return error ? { ...e, error } : e;
    });
}

export function replyWindow(
  w: ChannelCapabilities["replyWindow"],
  lastUserAt: number | undefined,
): ReplyWindow | undefined {
  if (!w || lastUserAt === undefined) return undefined;
  const out: ReplyWindow = {
    lastUserAt,
    botUntil: lastUserAt + w.botHours * 3_600_000,
    personUntil: lastUserAt + w.personHours * 3_600_000,
  };
  if (w.freeHours !== undefined) out.freeUntil = lastUserAt + w.freeHours * 3_600_000;
  return out;
}

/** One request as the console's conversation view shows it. */
export async function requestView(
  d: { requests: RequestStore; sessions: Keyv<StoredSession>; channels: ChannelInfo },
  id: string,
): Promise<RequestView | undefined> {
  let r = await d.requests.get(id);
  if (!r) return undefined;
  if (!r.displayName && d.channels.displayName) {
    // Looked up when a person opens it (Zalo and Messenger give names on request only).
    const name = await Promise.race([
      d.channels.displayName(r.channel, r.userId).catch(() => undefined),
      new Promise<undefined>((done) => setTimeout(() => done(undefined), 2_000).unref()),
    ]);
    if (name) r = (await d.requests.update(r.id, { displayName: name }, Date.now())) ?? r;
  }
  const [transcript, session, others] = await Promise.all([
    d.requests.transcript(r.id),
    d.sessions.get(r.conv),
    d.requests.list({ conv: r.conv, limit: 20 }),
  ]);
  const view: RequestView = {
    request: itemOf(r, transcript),
    transcript: foldFailures(transcript),
    channel: { id: r.channel, name: d.channels.name(r.channel) },
    others: others.filter((o) => o.id !== r.id),
  };
  const window = replyWindow(d.channels.window(r.channel), session?.lastUserAt);
  if (window) view.window = window;
  if (session?.lang) view.lang = session.lang;
  return view;
}
