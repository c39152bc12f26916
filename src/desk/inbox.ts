import type { ChannelId } from "../ports/message.js";
import type { RequestRecord, RequestStore, TranscriptEntry } from "../ports/requests.js";
import type { RequestStatus } from "../ports/session.js";
import type { Priority } from "../ports/vocabulary.js";
import type { SlaClock } from "../quality/sla.js";
import { canon, fold } from "../text/normalize.js";

/** The console's queues: waiting for someone, mine, everything not resolved, resolved. */
export const QUEUES = ["new", "mine", "open", "resolved"] as const;
export type Queue = (typeof QUEUES)[number];

export interface InboxQuery {
  queue?: Queue;
  status?: RequestStatus[];
  priority?: Priority[];
  channel?: ChannelId[];
  /** A login name, `me`, or `none` (unassigned). */
  assignee?: string;
  /** Words to find in ids, names, fields and what was said: case and diacritics ignored. */
  q?: string;
  limit?: number;
  /** `sla`: the request nearest (or furthest past) its promised time first. */
  sort?: "waiting" | "sla";
}

/** A request as the inbox lists it: the record, the last thing said, and since when the user waits. */
export interface InboxItem extends RequestRecord {
  last?: { from: TranscriptEntry["from"]; text: string; at: number };
  /** The user's oldest message not answered by a person yet; absent when nobody waits. */
  waitingSince?: number;
  /** When the user last wrote in this request (unread markers compare it). */
  lastUserAt?: number;
  /** Its promised-time clock (src/quality/sla.ts), for requests handed to people and not resolved. */
  sla?: SlaClock;
}

export interface InboxPage {
  requests: InboxItem[];
  counts: Record<Queue, number>;
  /** More requests exist than were looked at (the newest `SCAN` only). */
  truncated: boolean;
}

/** Requests looked at per listing, newest first: a desk's working set, not its archive. */
export const SCAN = 2000;

const folded = (s: string) => fold(canon(s));

export function inQueue(r: RequestRecord, queue: Queue, me: string): boolean {
  switch (queue) {
    case "new":
      return r.status === "open" && !r.assignee;
    case "mine":
      return r.assignee === me && r.status !== "resolved";
    case "open":
      return r.status !== "resolved";
    case "resolved":
      return r.status === "resolved";
  }
}

/** What was said (and notes), not events or failure reports. */
export const isMessage = (e: TranscriptEntry) => !e.kind;

/** Since when the user waits for a person: their first message after a person last wrote. */
export function waitingSince(r: RequestRecord, transcript: TranscriptEntry[]): number | undefined {
  if (r.status === "resolved") return undefined;
  let since: number | undefined;
  let answered = false;
  for (const e of transcript) {
    if (!isMessage(e)) continue;
    if (e.from === "operator") {
      since = undefined;
      answered = true;
    } else if (e.from === "user" && since === undefined) since = e.at;
  }
  if (since !== undefined) return since;
  return answered ? undefined : r.createdAt;
}

function haystack(r: RequestRecord): string {
  return folded(
    [r.id, r.displayName ?? "", r.userId, r.title, r.intent, r.assignee ?? "", ...Object.entries(r.fields).flat()].join(
      "\n",
    ),
  );
}

/**
 * The console's inbox over the request store: filters, queue counts, search that ignores
 * case and diacritics (src/text/normalize.ts `fold`/`canon`, so "nguyen van minh" finds
 * "Nguyễn Văn Minh" and "khoa" finds "khóa"), waiting requests oldest first.
 */
export async function listInbox(
  store: RequestStore,
  query: InboxQuery,
  me: string,
  clock?: (r: RequestRecord) => SlaClock | undefined,
): Promise<InboxPage> {
  const all = await store.list({ limit: SCAN });
  const counts = Object.fromEntries(QUEUES.map((q) => [q, 0])) as Record<Queue, number>;
  for (const r of all) for (const q of QUEUES) if (inQueue(r, q, me)) counts[q]++;

  const assignee = query.assignee === "me" ? me : query.assignee;
  const candidates = all.filter(
    (r) =>
      (!query.queue || inQueue(r, query.queue, me)) &&
      (!query.status?.length || query.status.includes(r.status)) &&
      (!query.priority?.length || query.priority.includes(r.priority)) &&
      (!query.channel?.length || query.channel.includes(r.channel)) &&
      (assignee === undefined || (assignee === "none" ? !r.assignee : r.assignee === assignee)),
  );
  const terms = query.q ? folded(query.q).split(/\s+/).filter(Boolean) : [];
  const limit = query.limit ?? 100;
  const resolvedOnly = query.queue === "resolved" || (query.status?.length === 1 && query.status[0] === "resolved");
  // Resolved requests list newest first, and nobody waits in them: without words to find,
  // only the page shown needs its transcripts read.
  const pool =
    resolvedOnly && !terms.length ? candidates.sort((a, b) => b.updatedAt - a.updatedAt).slice(0, limit) : candidates;
  const items: InboxItem[] = [];
  for (const r of pool) {
    const transcript = await store.transcript(r.id);
    if (terms.length) {
      let text = haystack(r);
      const missing = () => terms.some((t) => !text.includes(t));
      if (missing()) {
        text += `\n${folded(
          transcript
            .filter((e) => isMessage(e) || e.kind === "note")
            .map((e) => e.text)
            .join("\n"),
        )}`;
        if (missing()) continue;
      }
    }
    const item = itemOf(r, transcript);
    const sla = clock?.(r);
    if (sla) item.sla = sla;
    items.push(item);
  }
  items.sort((a, b) =>
    query.sort === "sla"
      ? (b.sla?.share ?? -1) - (a.sla?.share ?? -1) || a.createdAt - b.createdAt
      : resolvedOnly
        ? b.updatedAt - a.updatedAt
        : (a.waitingSince ?? Number.MAX_SAFE_INTEGER) - (b.waitingSince ?? Number.MAX_SAFE_INTEGER) ||
          a.createdAt - b.createdAt,
  );
  return { requests: items.slice(0, limit), counts, truncated: all.length >= SCAN };
}

export function itemOf(r: RequestRecord, transcript: TranscriptEntry[]): InboxItem {
  const item: InboxItem = { ...r };
  const said = transcript.filter(isMessage);
  const last = said.at(-1);
  if (last) item.last = { from: last.from, text: last.text.slice(0, 160), at: last.at };
  const lastUser = said.findLast((e) => e.from === "user");
  if (lastUser) item.lastUserAt = lastUser.at;
  const w = waitingSince(r, transcript);
  if (w !== undefined) item.waitingSince = w;
  return item;
}
