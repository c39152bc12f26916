import type { Keyv } from "keyv";
import type { ChannelId } from "../ports/message.js";

/**
 * A notice in the operators' group that stands for many requests at once: a flood of
 * requests from the web live chat gets one notice listing their ids instead of a topic each.
 * The channel that decides (`ChannelAdapter.admitEscalation`) adds ids; the operators' side
 * posts the notice and edits it as more come. Kept in the shared kv store.
 */
export interface Notice {
  id: string;
  channel: ChannelId;
  /** When its first request came (ms). */
  since: number;
  requestIds: string[];
}

const TTL = 7 * 24 * 3600_000;
const keyOf = (id: string) => `ops:notice:${id}`;

/** Add a request to a notice (once); the caller holds a lock over the notice. */
export async function addToNotice(
  kv: Keyv,
  id: string,
  channel: ChannelId,
  requestId: string,
  now: number,
): Promise<Notice> {
  const n = ((await kv.get(keyOf(id))) as Notice | undefined) ?? { id, channel, since: now, requestIds: [] };
  if (!n.requestIds.includes(requestId)) n.requestIds.push(requestId);
  await kv.set(keyOf(id), n, TTL);
  return n;
}

export async function getNotice(kv: Keyv, id: string): Promise<Notice | undefined> {
  return (await kv.get(keyOf(id))) as Notice | undefined;
}
