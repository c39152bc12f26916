import type { Weekly } from "../content/schema.js";
import type { Config } from "../content/types.js";

/**
 * Opening hours in the deployment's time zone (Asia/Ho_Chi_Minh by default: peers that
 * computed hours in UTC told users the wrong time, lessons-from-peers §1.6).
 */

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

export interface LocalTime {
  date: string; // YYYY-MM-DD
  day: Day;
  minutes: number; // since local midnight
}

// Building an Intl.DateTimeFormat costs far more than using one: one per time zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(at: Date, timeZone: string): LocalTime {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const weekday = get("weekday").toLowerCase().slice(0, 3) as Day;
  return {
    date: `${get("year")}-${get("month")}-${get("day")}`,
    day: weekday,
    minutes: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

export function spans(weekly: Weekly, day: Day): [number, number][] {
  return weekly[day].map((s) => {
    const [a = "00:00", b = "00:00"] = s.split("-");
    return [toMinutes(a), toMinutes(b)];
  });
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export interface Schedule {
  weekly: Weekly;
  timeZone: string;
  holidays: readonly string[];
}

export function isOpen(at: Date, s: Schedule): boolean {
  const t = localTime(at, s.timeZone);
  if (s.holidays.includes(t.date)) return false;
  return spans(s.weekly, t.day).some(([a, b]) => t.minutes >= a && t.minutes < b);
}

// The next opening only changes every quarter hour: remember it per schedule and quarter.
const nextCache = new WeakMap<Weekly, Map<string, Date | undefined>>();

/** The next instant support opens (now if open), searched up to two weeks ahead. */
export function nextOpening(at: Date, s: Schedule): Date | undefined {
  if (isOpen(at, s)) return at;
  const quarter = Math.floor(at.getTime() / (15 * 60_000));
  const key = `${s.timeZone}|${s.holidays.join(",")}|${quarter}`;
  let perSchedule = nextCache.get(s.weekly);
  if (!perSchedule) {
    perSchedule = new Map();
    nextCache.set(s.weekly, perSchedule);
  }
  if (perSchedule.has(key)) return perSchedule.get(key);
  const found = searchOpening(at, s);
  if (perSchedule.size > 1000) perSchedule.clear();
  perSchedule.set(key, found);
  return found;
}

function searchOpening(at: Date, s: Schedule): Date | undefined {
  // Walk forward in 15-minute steps: opening times are on quarter hours in practice, and
  // this stays correct across holidays and DST-free zones without calendar arithmetic.
  const step = 15 * 60_000;
  let t = Math.ceil(at.getTime() / step) * step;
  for (let i = 0; i < 14 * 96; i++, t += step) {
    if (isOpen(new Date(t), s)) return new Date(t);
  }
  return undefined;
}

/** "08:00 Thứ 3, 25/11" / "Tue 25/11 08:00", using the pack's weekday names. */
export function formatOpening(at: Date, timeZone: string, weekdayNames: string[], lang: "vi" | "en"): string {
  const t = localTime(at, timeZone);
  const name = weekdayNames[DAYS.indexOf(t.day)] ?? t.day;
  const hhmm = `${String(Math.floor(t.minutes / 60)).padStart(2, "0")}:${String(t.minutes % 60).padStart(2, "0")}`;
  const dm = `${t.date.slice(8, 10)}/${t.date.slice(5, 7)}`;
  return lang === "vi" ? `${hhmm} ${name}, ${dm}` : `${name} ${dm} ${hhmm}`;
}

/** Weekly schedule as lines, grouping consecutive days with the same hours: "Thứ 2–Thứ 6: 08:00–21:00". */
export function formatWeekly(weekly: Weekly, weekdayNames: string[], closedWord: string): string[] {
  const label = (d: Day) => weekdayNames[DAYS.indexOf(d)] ?? d;
  const text = (d: Day) => (weekly[d].length ? weekly[d].map((s) => s.replace("-", "–")).join(", ") : closedWord);
  const lines: string[] = [];
  let start = 0;
  for (let i = 1; i <= DAYS.length; i++) {
    const prev = DAYS[i - 1] as Day;
    const cur = DAYS[i];
    if (cur === undefined || text(cur) !== text(prev)) {
      const first = DAYS[start] as Day;
      lines.push(`${start === i - 1 ? label(first) : `${label(first)}–${label(prev)}`}: ${text(prev)}`);
      start = i;
    }
  }
  return lines;
}

const DAY_MS = 86_400_000;

/** The opening hours a config names, as the clocks count them (src/quality/sla.ts, complaint.waiting). */
export function scheduleOf(c: Config): Schedule {
  return { weekly: c.support_hours, timeZone: c.timezone, holidays: c.holidays };
}

/**
 * Business minutes between two instants: the parts of `[from, to)` inside the opening hours
 * (split shifts included), holidays left out. Arithmetic on local days rather than a walk in
 * small steps, so a month-long range costs a few dozen operations. The zone's offset is read
 * once at `from`: exact for zones without daylight saving time (Asia/Ho_Chi_Minh).
 */
export function businessMinutes(from: number, to: number, s: Schedule): number {
  if (!(to > from)) return 0;
  const start = Math.floor(from / 60_000) * 60_000;
  const t = localTime(new Date(start), s.timeZone);
  const [y, m, d] = t.date.split("-").map(Number) as [number, number, number];
  const offset = Date.UTC(y, m - 1, d) + t.minutes * 60_000 - start;
  const lf = from + offset;
  const lt = Math.min(to, from + 400 * DAY_MS) + offset;
  let total = 0;
  for (let day = Math.floor(lf / DAY_MS) * DAY_MS; day < lt; day += DAY_MS) {
    const date = new Date(day);
    if (s.holidays.includes(date.toISOString().slice(0, 10))) continue;
    const name = DAYS[(date.getUTCDay() + 6) % 7] ?? "mon";
    for (const [a, b] of spans(s.weekly, name)) {
      const overlap = Math.min(day + b * 60_000, lt) - Math.max(day + a * 60_000, lf);
      if (overlap > 0) total += overlap;
    }
  }
  return total / 60_000;
}
