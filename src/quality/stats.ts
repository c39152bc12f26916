import type { Config } from "../content/types.js";
import { businessMinutes, localTime, scheduleOf } from "../engine/hours.js";
import type { QualityEvent } from "../ports/quality.js";
import type { RequestRecord } from "../ports/requests.js";
import { type GapDecision, groupGaps } from "./gaps.js";
import { slaMet } from "./sla.js";

/**
 * The desk's figures (README "Quality: definitions"), computed by this one function from
 * what either store returns: the requests created in the range and the quality log's
 * events in it. SQLite and Redis therefore give the same numbers for the same facts.
 */

export interface Times {
  /** Business minutes; null when there is nothing to measure. */
  median: number | null;
  p90: number | null;
  count: number;
}

export interface Figures {
  conversations: number;
  contained: number;
  handedOff: number;
  firstResponse: Times;
  resolution: Times;
  sla: { met: number; total: number; share: number | null };
  csat: {
    average: number | null;
    ratings: number;
    distribution: Record<"1" | "2" | "3" | "4" | "5", number>;
    asked: number;
    skippedWindow: number;
    declined: number;
  };
}

export interface Stats {
  from: string;
  to: string;
  timeZone: string;
  total: Figures;
  byDay: ({ day: string } & Figures)[];
  byWeek: ({ week: string } & Figures)[];
  byChannel: ({ channel: string } & Figures)[];
  topIntents: { intent: string; count: number }[];
  topGaps: { id: string; text: string; count: number; channels: string[] }[];
}

export interface StatsInput {
  requests: RequestRecord[];
  conversations: QualityEvent[];
  csat: QualityEvent[];
  gaps: QualityEvent[];
  /** The leads' decisions: a group marked ignored or answered leaves the top gaps. */
  decisions?: GapDecision[];
  config: Config;
  /** The local days asked for, inclusive (YYYY-MM-DD). */
  from: string;
  to: string;
}

interface Facts {
  requests: { r: RequestRecord; day: string }[];
  conversations: { e: QualityEvent; day: string }[];
  csat: { e: QualityEvent; day: string }[];
}

/** Nearest-rank percentile: a value that occurred, the same whatever the store. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? null;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function times(values: number[]): Times {
  const s = values.map(round1).sort((a, b) => a - b);
  return { median: percentile(s, 0.5), p90: percentile(s, 0.9), count: s.length };
}

function figures(f: Facts, c: Config): Figures {
  const schedule = scheduleOf(c);
  const convDays = new Set(f.conversations.map(({ e, day }) => `${e.conv}|${day}`));
  // A conversation-day is handed off when a request for a person was opened in it.
  const handed = new Set(f.requests.filter(({ r }) => r.handoff).map(({ r, day }) => `${r.conv}|${day}`));
  for (const h of handed) convDays.add(h);
  const people = f.requests.filter(({ r }) => r.handoff).map(({ r }) => r);
  const first = people
    .filter((r) => r.firstResponseAt)
    .map((r) => businessMinutes(r.createdAt, r.firstResponseAt ?? r.createdAt, schedule));
  const resolved = people.filter((r) => r.status === "resolved" && r.resolvedAt);
  const resolution = resolved.map((r) =>
    Math.max(0, businessMinutes(r.createdAt, r.resolvedAt ?? r.createdAt, schedule) - (r.pausedMinutes ?? 0)),
  );
  const met = resolved.filter((r) => slaMet(r, c)).length;
  const distribution = { "1": 0, "2": 0, "3": 0, "4": 0, "5": 0 };
  let sum = 0;
  let ratings = 0;
  let asked = 0;
  let skippedWindow = 0;
  let declined = 0;
  for (const { e } of f.csat) {
    const outcome = e.data.outcome;
    if (outcome === "asked") asked++;
    else if (outcome === "skipped_window") skippedWindow++;
    else if (outcome === "declined") declined++;
    else if (outcome === "rated" && typeof e.data.score === "number") {
      const k = String(e.data.score) as keyof typeof distribution;
      if (k in distribution) {
        distribution[k]++;
        sum += e.data.score;
        ratings++;
      }
    }
  }
  return {
    conversations: convDays.size,
    contained: convDays.size - handed.size,
    handedOff: handed.size,
    firstResponse: times(first),
    resolution: times(resolution),
    sla: { met, total: resolved.length, share: resolved.length ? round1((100 * met) / resolved.length) / 100 : null },
    csat: {
      average: ratings ? Math.round((100 * sum) / ratings) / 100 : null,
      ratings,
      distribution,
      asked,
      skippedWindow,
      declined,
    },
  };
}

/** The Monday (local date) of a local date's week. */
export function weekOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

function subset(f: Facts, keep: (day: string, channel: string) => boolean): Facts {
  return {
    requests: f.requests.filter(({ r, day }) => keep(day, r.channel)),
    conversations: f.conversations.filter(({ e, day }) => keep(day, e.channel)),
    csat: f.csat.filter(({ e, day }) => keep(day, e.channel)),
  };
}

export function computeStats(i: StatsInput): Stats {
  const tz = i.config.timezone;
  const dayOf = (at: number) => localTime(new Date(at), tz).date;
  const inRange = (day: string) => day >= i.from && day <= i.to;
  const all: Facts = {
    requests: i.requests.map((r) => ({ r, day: dayOf(r.createdAt) })).filter(({ day }) => inRange(day)),
    conversations: i.conversations.map((e) => ({ e, day: dayOf(e.at) })).filter(({ day }) => inRange(day)),
    csat: i.csat.map((e) => ({ e, day: dayOf(e.at) })).filter(({ day }) => inRange(day)),
  };
  const days: string[] = [];
  for (let d = new Date(`${i.from}T00:00:00Z`); d.toISOString().slice(0, 10) <= i.to; d.setUTCDate(d.getUTCDate() + 1))
    days.push(d.toISOString().slice(0, 10));
  const weeks = [...new Set(days.map(weekOf))];
  const channels = [
    ...new Set([
      ...all.requests.map(({ r }) => r.channel),
      ...all.conversations.map(({ e }) => e.channel),
      ...all.csat.map(({ e }) => e.channel),
    ]),
  ].sort();
  const intents = new Map<string, number>();
  for (const { e } of all.conversations) {
    const intent = typeof e.data.intent === "string" ? e.data.intent : undefined;
    if (intent && intent !== "none" && intent !== "clarify") intents.set(intent, (intents.get(intent) ?? 0) + 1);
  }
  for (const { r } of all.requests) intents.set(r.intent, (intents.get(r.intent) ?? 0) + 1);
  const gaps = groupGaps(
    i.gaps.filter((e) => inRange(dayOf(e.at))),
    i.decisions ?? [],
  );
  return {
    from: i.from,
    to: i.to,
    timeZone: tz,
    total: figures(all, i.config),
    byDay: days.map((day) => ({
      day,
      ...figures(
        subset(all, (d) => d === day),
        i.config,
      ),
    })),
    byWeek: weeks.map((week) => ({
      week,
      ...figures(
        subset(all, (d) => weekOf(d) === week),
        i.config,
      ),
    })),
    byChannel: channels.map((channel) => ({
      channel,
      ...figures(
        subset(all, (_d, ch) => ch === channel),
        i.config,
      ),
    })),
    topIntents: [...intents.entries()]
      .map(([intent, count]) => ({ intent, count }))
      .sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent))
      .slice(0, 10),
    topGaps: gaps
      .filter((g) => g.decision?.action !== "ignored" && g.decision?.action !== "example")
      .slice(0, 10)
      .map((g) => ({ id: g.id, text: g.examples[0] ?? "", count: g.count, channels: g.channels })),
  };
}

const CSV_COLUMNS = [
  "period",
  "channel",
  "conversations",
  "contained",
  "handed_off",
  "first_response_median_min",
  "first_response_p90_min",
  "resolution_median_min",
  "resolution_p90_min",
  "sla_met",
  "sla_total",
  "csat_average",
  "csat_ratings",
  "csat_skipped_window",
] as const;

const cell = (v: string | number | null) => {
  const s = v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

function row(period: string, channel: string, f: Figures): string {
  return [
    period,
    channel,
    f.conversations,
    f.contained,
    f.handedOff,
    f.firstResponse.median,
    f.firstResponse.p90,
    f.resolution.median,
    f.resolution.p90,
    f.sla.met,
    f.sla.total,
    f.csat.average,
    f.csat.ratings,
    f.csat.skippedWindow,
  ]
    .map(cell)
    .join(",");
}

/** The same figures as CSV: one row per day (all channels), the range's total, and one per channel. */
export function statsCsv(s: Stats): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const d of s.byDay) lines.push(row(d.day, "all", d));
  lines.push(row(`${s.from}..${s.to}`, "all", s.total));
  for (const c of s.byChannel) lines.push(row(`${s.from}..${s.to}`, c.channel, c));
  return `${lines.join("\n")}\n`;
}
