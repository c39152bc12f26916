import type { ChannelId } from "../ports/message.js";
import type { Person } from "../ports/people.js";
import type { RequestRecord } from "../ports/requests.js";

export const convOf = (p: Person): string => `${p.channel}:${p.userId}`;

/** Where an erased person's requests are filed: counted by channel, tied to nobody. */
export const erasedConv = (channel: ChannelId): string => `${channel}:~erased`;

/**
 * A request with everything that could point at its person removed (fields, name, user id,
 * where it sits in the operators' group, the last error): what stays is what statistics
 * need (intent, title from flows, priority, status, who handled it, times, the SLA clocks).
 */
export function anonymised(r: RequestRecord, now: number): RequestRecord & { erasedAt: number } {
  const out: RequestRecord & { erasedAt: number } = {
    id: r.id,
    conv: erasedConv(r.channel),
    channel: r.channel,
    userId: "~erased",
    intent: r.intent,
    title: r.title,
    priority: r.priority,
    status: r.status,
    fields: {},
    handoff: r.handoff,
    createdAt: r.createdAt,
    updatedAt: now,
    erasedAt: now,
  };
  if (r.rule) out.rule = r.rule;
  if (r.assignee) out.assignee = r.assignee;
  if (r.dueAt !== undefined) out.dueAt = r.dueAt;
  // The desk's figures (first response, resolution, SLA met) are read from these times.
  for (const k of [
    "firstResponseAt",
    "resolvedAt",
    "closedBy",
    "awaitingSince",
    "onUserSince",
    "pausedMinutes",
  ] as const)
    if (r[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = r[k];
  return out;
}

/**
 * Whether a small value's key belongs to the person: keys are `<channel>:<what>:<user id>`
 * (`zalo:name:123`, `webchat:history:abc`), sometimes with more after the id. Matching whole
 * segments under the person's own channel keeps user `12` of Zalo from matching `123` or
 * Telegram's user `12`.
 */
export function keyOfPerson(key: string, p: Person): boolean {
  if (!key.startsWith(`${p.channel}:`)) return false;
  return key.split(":").slice(1).includes(p.userId);
}
