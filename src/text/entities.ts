import { canon, clip, fold } from "./normalize.js";

/**
 * Entities users put in support messages. Each extractor works on the original text
 * (so values keep their case) and returns normalised values the engine can compare.
 *
 * Cost: every extractor looks at the first `MAX_TEXT_CHARS` characters only, and every
 * pattern here is linear: a run of letters or digits is scanned from its start only (a
 * lookbehind says "not in the middle of a run"), repeats are bounded or consume what they
 * match, and text that went through `canon` has single spaces, so `\s?` stands for `\s*`.
 * test/unit/regex-linear.test.ts checks the patterns in `ENTITY_PATTERNS`.
 */

/** `HT-000123` and its variants, for a request-id prefix. */
export function requestIdPattern(prefix = "HT"): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${prefix}[-\\s#]?(\\d{1,9})(?![\\p{N}])`, "giu");
}
/**
 * A request's number without its prefix, right after a word for a request ("phiếu hỗ trợ số
 * 10293", "yc 4521", "ticket #778"), on canonical (lower-case) text, with or without diacritics.
 */
export const REQUEST_NUMBER =
  /(?<=(?:phiếu|phieu|yêu cầu|yeu cau|ticket|yc|request|case)(?: hỗ trợ| ho tro)?(?: số| so| mã| ma| id| no\.?)? ?#?)\d{3,9}(?!\p{N})/gu;
const PHONE_RE = /(?<![\p{N}\p{L}])(\+?\d[\d\s.\-()]{6,16}\d)(?![\p{N}])/gu;
const HANDLE_RE = /(?<![\p{L}\p{N}._%+-])@([A-Za-z][A-Za-z0-9_.]{2,31})(?![\p{L}\p{N}@])/gu;
// The local part starts where a run of its characters starts: otherwise a long run with
// no "@" would be scanned again from each of its characters (quadratic).
const EMAIL_RE = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const URL_RE =
  /\b(?:https?:\/\/[^\s<>"']+|(?:www\.|m\.)?(?:facebook\.com|fb\.com|fb\.me|m\.me|t\.me|telegram\.me|zalo\.me|oa\.zalo\.me)\/[^\s<>"']+|www\.[^\s<>"']+)/giu;
const URL_TRAILING_PUNCT = /(?<![).,!?;:])[).,!?;:]+$/u;
const URL_TRAILING_SLASH = /(?<!\/)\/+$/;
// Not inside a number either ("1.000.000": not from the second group on).
const AMOUNT_RE =
  /(?<![\p{L}\p{N}]|\d[.,])(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s?(k|nghin|ngan|tr|trieu|cu|ty|ti|vnd|d|dong)(\d)?(?![\p{L}])/gu;
const GROUPED_AMOUNT_RE = /(?<![\p{L}\p{N}.,])(\d{1,3}(?:[.,]\d{3}){2,})(?![\p{N}.,]|\s?(?:k|tr|d|vnd))/gu;
const DATE_RE = /(?<![\d/])(\d{1,2})\s?[/-]\s?(\d{1,2})(?:\s?[/-]\s?(\d{2,4}))?(?![\d/])/u;
const CLOCK_RE = /(?<![\d:])([01]?\d|2[0-3])\s?(?:h|gio|:)\s?([0-5]\d)?(?:\s?(?:p|phut))?(?![\d])/u;
const CLOCK_AMPM_RE = /(?<![\d:])([01]?\d|2[0-3])\s?(am|pm)\b/u;
const AGO_RE =
  /((?<!\d)\d+|mot|hai|ba|vai|may)\s?(phut|tieng|gio|ngay|tuan|thang|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s?(truoc|qua|nay|ago)?/u;
const NOW_RE = /\b(vua xong|vua nay|luc nay|moi day|ban nay|just now|a moment ago|right now|earlier today)\b/u;
// Times without a date: "lâu rồi", "mấy hôm nay", "a while ago" answer "since when?" too.
const VAGUE_RE =
  /\b(lau roi|lau lam roi|lau lam|tu lau|cung lau|lau qua roi|may hom nay|may hom roi|may ngay nay|may ngay roi|may bua nay|may hom truoc|hom truoc|bua truoc|dao nay|gan day|mot thoi gian|a while ago|a while|a long time|long ago|for ages|for a while|the other day|recently|lately|a few days|few days|some time ago)\b/u;
const LAST_RE = /\b(tuan truoc|tuan roi|last week|thang truoc|thang roi|last month|nam ngoai|nam truoc|last year)\b/u;
const SINCE_RE =
  /\b(?:tu|since) (sang|trua|chieu|toi|dem|morning|noon|afternoon|evening|night|hom qua|yesterday|tuan truoc|last week)\b/u;
const WEEKDAY_RE =
  /\b(thu (2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|chu nhat|cn|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/u;

export interface TimeExpression {
  text: string;
  /** Resolved calendar date (YYYY-MM-DD) in the deployment's time zone, when the expression names one. */
  date?: string;
  /** Time of day (HH:MM) when given. */
  time?: string;
}

/** `HT-000123`, `ht000123`, `HT 123` → `HT-000123` (the prefix is configurable). */
export function requestIds(text: string, prefix = "HT"): string[] {
  return unique(
    [...clip(text).matchAll(requestIdPattern(prefix))].map((m) => `${prefix}-${(m[1] ?? "").padStart(6, "0")}`),
  );
}

/**
 * Request ids written in full (`requestIds`) and as a bare number after a word for a request
 * ("phiếu số 10293" → HT-010293): what a status question names.
 */
export function namedRequests(text: string, prefix = "HT"): string[] {
  const bare = [...canon(text).matchAll(REQUEST_NUMBER)].map((m) => `${prefix}-${m[0].padStart(6, "0")}`);
  return unique([...requestIds(text, prefix), ...bare]);
}

/**
 * Vietnamese phone numbers in +84/84/0 forms, with spaces, dots or dashes, and 1800/1900
 * service numbers. Mobiles and landlines normalise to +84…, service numbers to their digits.
 */
export function phones(text: string): string[] {
  const out: string[] = [];
  for (const m of clip(text).matchAll(PHONE_RE)) {
    const p = normalizePhone(m[1] ?? "");
    if (p) out.push(p);
  }
  return unique(out);
}

export function normalizePhone(raw: string): string | undefined {
  const digits = raw.replace(/[^\d+]/g, "");
  if (/^(1800|1900)\d{4,6}$/.test(digits)) return digits;
  let national: string | undefined;
  if (/^\+84\d{9,10}$/.test(digits)) national = digits.slice(3);
  else if (/^84\d{9,10}$/.test(digits)) national = digits.slice(2);
  else if (/^0\d{9,10}$/.test(digits)) national = digits.slice(1);
  if (!national || national.startsWith("0")) return undefined;
  return `+84${national}`;
}

/** `@handle` (Telegram, Zalo, Facebook style), lower-cased. */
export function handles(text: string): string[] {
  return unique([...clip(text).matchAll(HANDLE_RE)].map((m) => `@${(m[1] ?? "").replace(/\.$/, "").toLowerCase()}`));
}

export function emails(text: string): string[] {
  return unique([...clip(text).matchAll(EMAIL_RE)].map((m) => m[0].toLowerCase()));
}

/** URLs with a scheme, and bare links to the sites support scams use (facebook, t.me, zalo.me…). */
export function urls(text: string): string[] {
  return unique([...clip(text).matchAll(URL_RE)].map((m) => normalizeUrl(m[0])));
}

/** Scheme, `www.`, `m.` and trailing punctuation removed, lower-cased: what two links share if they are the same page. */
export function normalizeUrl(url: string): string {
  return url
    .toLowerCase()
    .replace(URL_TRAILING_PUNCT, "")
    .replace(/^https?:\/\//, "")
    .replace(/^(www\.|m\.)/, "")
    .replace(URL_TRAILING_SLASH, "");
}

const AMOUNT_UNITS: Record<string, number> = {
  k: 1e3,
  nghin: 1e3,
  ngan: 1e3,
  tr: 1e6,
  trieu: 1e6,
  cu: 1e6,
  ty: 1e9,
  ti: 1e9,
  vnd: 1,
  d: 1,
  dong: 1,
};

/** Money amounts in VND: "500k", "1.000.000đ", "2 triệu", "1tr5", "200,000 VND". */
export function amounts(text: string): number[] {
  const t = fold(canon(text));
  const out: number[] = [];
  for (const m of t.matchAll(AMOUNT_RE)) {
    const [, num = "", unit = "", tail] = m;
    const mult = AMOUNT_UNITS[unit] ?? 1;
    const value = /^\d{1,3}([.,]\d{3})+$/.test(num) ? Number(num.replace(/[.,]/g, "")) : Number(num.replace(",", "."));
    let amount = value * mult;
    if (tail && mult >= 1e6) amount += (Number(tail) * mult) / 10; // "1tr5" = 1.5 million
    if (Number.isFinite(amount) && amount > 0) out.push(Math.round(amount));
  }
  // Grouped numbers without a unit ("1.500.000") are amounts too.
  for (const m of t.matchAll(GROUPED_AMOUNT_RE)) {
    out.push(Number((m[1] ?? "").replace(/[.,]/g, "")));
  }
  return unique(out);
}

export interface Clock {
  /** Current instant. */
  now: Date;
  /** IANA time zone the user's words ("sáng nay", "hôm qua") refer to. */
  timeZone: string;
}

/** Calendar date of an instant in a time zone, as YYYY-MM-DD. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

function shiftDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const DAY_WORDS: [RegExp, number][] = [
  [
    /\b(hom nay|hnay|sang nay|trua nay|chieu nay|toi nay|dem nay|today|this morning|this afternoon|tonight|this evening)\b/u,
    0,
  ],
  [/\b(hom qua|hqua|toi qua|dem qua|sang qua|chieu qua|trua qua|yesterday|last night)\b/u, -1],
  [/\b(hom kia|2 hom truoc|day before yesterday)\b/u, -2],
];

const PART_OF_DAY: [RegExp, number][] = [
  [/\b(sang|morning|am)\b/u, 0],
  [/\b(trua|noon)\b/u, 12],
  [/\b(chieu|afternoon|pm)\b/u, 12],
  [/\b(toi|dem|evening|night|tonight)\b/u, 12],
];

/**
 * Times people give for "when did it happen": "9h sáng nay", "14:30 hôm qua", "20/11",
 * "2 tiếng trước", "vừa xong", "yesterday", "3 days ago".
 */
export function times(text: string, clock: Clock): TimeExpression[] {
  const t = fold(canon(text));
  const today = localDate(clock.now, clock.timeZone);
  const out: TimeExpression[] = [];
  let date: string | undefined;
  let time: string | undefined;
  const found: string[] = [];

  for (const [re, shift] of DAY_WORDS) {
    const m = t.match(re);
    if (m) {
      date = shiftDays(today, shift);
      found.push(m[0]);
      break;
    }
  }
  const dm = t.match(DATE_RE);
  if (dm) {
    const day = Number(dm[1]);
    const month = Number(dm[2]);
    if (day >= 1 && day <= 31 && month >= 1 && month <= 12) {
      let year = dm[3] ? Number(dm[3]) : Number(today.slice(0, 4));
      if (year < 100) year += 2000;
      date = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
      found.push(dm[0]);
    }
  }
  const tm = t.match(CLOCK_RE) ?? t.match(CLOCK_AMPM_RE);
  if (tm) {
    let hour = Number(tm[1]);
    const minutes = tm[2] && /^\d+$/.test(tm[2]) ? tm[2] : "00";
    const ampm = tm[2] === "pm" || tm[2] === "am" ? tm[2] : undefined;
    const part = PART_OF_DAY.find(([re]) => re.test(t));
    if ((ampm === "pm" || (part && part[1] === 12)) && hour < 12) hour += 12;
    time = `${String(hour).padStart(2, "0")}:${minutes}`;
    found.push(tm[0]);
    date ??= today;
  }
  const ago = t.match(AGO_RE);
  if (ago && (ago[3] || /ago|truoc/u.test(t))) {
    const n = Number(ago[1]) || ({ mot: 1, hai: 2, ba: 3 } as Record<string, number>)[ago[1] ?? ""] || 1;
    const unit = ago[2] ?? "";
    const ms = /phut|min/u.test(unit)
      ? 60e3
      : /tieng|gio|hour|hr/u.test(unit)
        ? 3600e3
        : /tuan|week/u.test(unit)
          ? 7 * 86400e3
          : /thang|month/u.test(unit)
            ? 30 * 86400e3
            : 86400e3;
    const at = new Date(clock.now.getTime() - n * ms);
    date = localDate(at, clock.timeZone);
    found.push(ago[0]);
  }
  const last = t.match(LAST_RE);
  if (last && !date) {
    const week = /tuan|week/u.test(last[0]);
    const year = /nam|year/u.test(last[0]);
    date = shiftDays(today, week ? -7 : year ? -365 : -30);
    found.push(last[0]);
  }
  const since = t.match(SINCE_RE);
  if (since && !date) {
    date = shiftDays(today, /hom qua|yesterday/u.test(since[0]) ? -1 : /tuan|week/u.test(since[0]) ? -7 : 0);
    found.push(since[0]);
  }
  const vague = t.match(VAGUE_RE);
  if (vague) found.push(vague[0]);
  if (NOW_RE.test(t)) {
    date ??= today;
    found.push("now");
  }
  const weekday = t.match(WEEKDAY_RE);
  if (weekday && !date) {
    found.push(weekday[0]);
  }
  if (found.length > 0) {
    const e: TimeExpression = { text: found.join(" ") };
    if (date) e.date = date;
    if (time) e.time = time;
    out.push(e);
  }
  return out;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The patterns above, for the linear-pattern check in the tests. */
export const ENTITY_PATTERNS: readonly RegExp[] = [
  requestIdPattern(),
  REQUEST_NUMBER,
  PHONE_RE,
  HANDLE_RE,
  EMAIL_RE,
  URL_RE,
  URL_TRAILING_PUNCT,
  URL_TRAILING_SLASH,
  AMOUNT_RE,
  GROUPED_AMOUNT_RE,
  DATE_RE,
  CLOCK_RE,
  CLOCK_AMPM_RE,
  AGO_RE,
  NOW_RE,
  VAGUE_RE,
  LAST_RE,
  SINCE_RE,
  WEEKDAY_RE,
  ...DAY_WORDS.map(([re]) => re),
  ...PART_OF_DAY.map(([re]) => re),
];
