import type { Logger } from "pino";
import type { InboundEvent } from "../ports/message.js";

const HOUR = 3_600_000;

/**
 * How long an event's dedupe key (Telegram `update_id`, Messenger `mid`, Zalo `msg_id`…) is
 * remembered once recorded: SQLite `dedupe` rows and Redis `dedupe:` keys both expire after
 * this. The one copy of the number: the stores and the age check below read it from here.
 */
export const DEDUPE_TTL_MS = 7 * 24 * HOUR;

/**
 * How much sooner than the dedupe record the age check gives up: room for the platform's
 * clock running ahead of ours. A record is claimed when the event first arrives, never
 * before the platform stamped it, so it outlives every event younger than
 * `DEDUPE_TTL_MS - margin` by the platform's clock as long as the clocks differ by less.
 */
export const STALE_MARGIN_MS = HOUR;

/** The oldest an event may be, by its platform's own timestamp, and still be processed. */
export const MAX_EVENT_AGE_MS = DEDUPE_TTL_MS - STALE_MARGIN_MS;

/**
 * Whether an event stamped `platformMs` (ms since the epoch, the platform's clock) is too old
 * for dedupe to judge: its record may be gone, so a redelivery would be processed again.
 * An event without a usable timestamp is left to dedupe.
 */
export function isStale(platformMs: number | undefined, now: number): boolean {
  return platformMs !== undefined && Number.isFinite(platformMs) && now - platformMs > MAX_EVENT_AGE_MS;
}

/**
 * The events young enough to process. The others are acknowledged and dropped with one
 * info line per delivery (their ids and age; never their content).
 */
export function dropStale(events: InboundEvent[], now: number, log: Logger): InboundEvent[] {
  const fresh = events.filter((e) => !isStale(e.timestamp, now));
  if (fresh.length === events.length) return events;
  const stale = events.filter((e) => !fresh.includes(e));
  log.info(
    {
      channel: stale[0]?.channel,
      events: stale.map((e) => e.id),
      ageHours: Math.round((now - Math.min(...stale.map((e) => e.timestamp))) / HOUR),
    },
    "event older than the dedupe window acknowledged and dropped",
  );
  return fresh;
}
