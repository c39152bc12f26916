import type { SecretKind } from "../ports/message.js";
import { foldMapped, hasVietnameseMarks, type Mapped } from "./normalize.js";

/**
 * Secrets users paste into support chats: OTPs and verification codes, PINs, CVVs,
 * passwords, card numbers. They are masked before an event is stored, logged or forwarded
 * anywhere, and the engine warns the user.
 *
 * How it works: the message is folded the way the matcher folds it (NFKC, so fullwidth
 * digits are digits; zero-width characters dropped; lower case; diacritics stripped; đ→d)
 * into a string that remembers which original characters each of its characters came
 * from (`foldMapped`). Detection runs on the folded string only; each secret found there
 * is a span that maps back onto the original text, and only that span is replaced. The
 * stored text keeps the user's own characters everywhere else.
 *
 * What counts as a secret (detection is keyword-anchored, except cards: a bare number
 * may be an amount, a phone or an account, and masking those would break conversations):
 * - a keyword (`otp`, `mã xác nhận`, `mk`, `password`, `cvv`, …), then optionally up to a
 *   few words ("của mình", "tài khoản", "gửi về") and a separator (`là`, `:`, `=`, `is`,
 *   combined as in "là:"), then the value; or the value, a separator and the keyword
 *   ("583920 là mã OTP", "abc123 is my password");
 * - code values (OTP, PIN, CVV) are digit runs, possibly spaced, dotted or dashed, and the
 *   whole run is masked, every group of it: "5 8 3 9 2 0 1 2" does not leave "1 2";
 * - password values are whole tokens (any characters up to the next space), and the mask
 *   goes on to the end of the clause: over every following token that is not an ordinary
 *   word. "Qwe 199" is masked whole; "abc123 nhé" keeps "nhé". See `extendPassword` for
 *   why this rule and not "one token" or "the rest of the message";
 * - card numbers: 13–19 digit runs (any grouping, fullwidth, with zero-width characters)
 *   with a card network's first digit and a valid Luhn check (or a 9704 Napas prefix);
 *   the last four digits are kept so people can still say which card.
 *
 * Every scan is linear in the length of the text: the keyword pattern is an alternation
 * of bounded words, the other patterns are sticky and bounded or consume what they match,
 * and each keyword looks at a bounded number of tokens around it.
 */

export interface MaskResult {
  text: string;
  kinds: SecretKind[];
}

export const MASK = "******";

/* ------------------------------------------------------------------------------------ */
/* Keywords (folded: lower case, no diacritics).                                           */

// Order matters inside each group: the longer phrase first.
const CVV_WORDS = [
  "(?:ma|so) ?(?:cvv|cvc)2?",
  "cvv ?2?",
  "cvc ?2?",
  "(?:3|ba) so (?:o |phia |cuoi |)(?:mat |)sau(?: (?:cua |)the|)",
];
const OTP_WORDS = [
  "one[ -]?time ?(?:pass ?(?:word|code)|code|pin)",
  "(?:ma|code|so) ?(?:otp|2fa|sms|pin|xac ?(?:nhan|thuc|minh)|kich ?hoat|bao ?mat|dang ?nhap|xn|xt)",
  "smart ?otp",
  "o[ .]?t[ .]?p(?: ?code)?",
  "(?:verification|verify|confirmation|security|auth(?:entication)?|login|access|sms|2fa|pin) ?code",
  "2fa",
  "code",
  "pin",
];
const PASSWORD_WORDS = [
  "ma (?:so )?bi mat",
  "mat ?khau",
  "mat ?ma",
  "pass ?(?:word|code)",
  "pas+w(?:or)?d",
  "pwd",
  "pass",
  "mk",
  "pw",
];
/** Words that mean something else often enough that they need a value that looks like a secret. */
const WEAK = new Set(["mk", "pass", "pw", "code", "pin"]);

/** Every keyword, on word boundaries (digits may follow: "otp583920"). */
export const KEYWORD_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:(?<cvv>${CVV_WORDS.join("|")})|(?<otp>${OTP_WORDS.join("|")})|(?<pw>${PASSWORD_WORDS.join("|")})|(?<ma>ma))(?![\\p{L}])`,
  "gu",
);

/** Separators between keyword and value: "là", "la:", ":", "=", "is", "was", "chính là", "thành". */
export const SEP_RE = /(?:chinh la|la|is|was|are|thanh|to)(?![\p{L}\p{N}])|[:=#]|->|-(?= )/uy;
/** One word of letters (or "cấp 2", the level of a password). */
export const WORD_RE = /(?:cap ?\d|\p{L}+(?:['’]\p{L}{1,2})?)(?![\p{L}\p{N}])/uy;
/** A digit run: digits with at most one separator (or two spaces) between them. */
export const DIGIT_RUN_RE = /\d(?:(?: ?[.\-_] ?| {1,2})?\d)*/uy;
/** A token: everything up to the next space. */
export const TOKEN_RE = /[^ \n]+/uy;
/** Digit runs anywhere, for card numbers (not glued to letters before, as in FT2412…). */
export const CARD_RUN_RE = /(?<![\p{L}\p{N}])\d(?:(?: ?[.\-_] ?| {1,2})?\d)*/gu;

/** The hot-path patterns of this module, for the linear-pattern check in the tests. */
export const SECRET_PATTERNS: readonly RegExp[] = [KEYWORD_RE, SEP_RE, WORD_RE, DIGIT_RUN_RE, TOKEN_RE, CARD_RUN_RE];

/* ------------------------------------------------------------------------------------ */
/* Word lists (folded).                                                                    */

/**
 * Words that may stand between a keyword and its separator without making the phrase
 * less of a disclosure: whose it is, which one, for what ("mật khẩu tài khoản của mình là").
 */
const FILLER = new Set(
  (
    "cua minh toi tui to tao em e anh a chi c ban b bn ad my your his her our the this that " +
    "moi cu hien tai current new old nay do " +
    "tai khoan tk acc account nick login dang nhap giao dich app vi ngan hang bank the card " +
    "wifi email mail gmail fb facebook zalo momo icloud apple google game web ib " +
    "for of on in o cho vao"
  ).split(" "),
);
/** Words that turn the phrase into a rule or a question: "mật khẩu phải là …", "otp không phải là …". */
const BLOCK = new Set(
  (
    "phai can nen co it nhat toi thieu gom bao khong ko k kh chua chang quen het han loi " +
    "gi j sao nao the may must should need needs required requires contain contains not no never cannot cant " +
    "wrong expired forgot forget reset doesnt dont isnt what how why which"
  ).split(" "),
);
/** A value that is one of these is a question or a comment, not a secret: "mật khẩu là gì". */
const NOT_A_VALUE = new Set(
  (
    "gi j ji chi sao nao bao may dau ai the cai nhu thi ma " +
    "dung sai khong ko k kh hong hok hem chua roi ok oke okay " +
    "what which how why where who whats wrong correct right incorrect invalid expired same different " +
    "not no yes too very still also being been required needed"
  ).split(" "),
);
/** Ordinary words: a password does not go on over them. Pronouns, particles, common verbs, English function words. */
const ORDINARY = new Set(
  (
    "em e anh a chi c minh mik toi tui to tao ban b bn ad admin shop sop bot ho no nguoi " +
    "ak ah nhe nha ne ha hen nhi oi u uh um vay v z day do kia nay roi r thi ma nhung va voi vs hay hoac " +
    "la cua cho de duoc dc dk bi da dang se van cung con luon nua het ca giup gium dum nhap vao co ok oke okay " +
    "uk vang thanks thank thx ty cam on xin loi sorry nhieu lam qua nhe " +
    "an the my your i im it its is was are and or but so then for of in at with please pls plz " +
    "you me still also not yes can cant cannot dont doesnt didnt wont isnt help login log work working works " +
    "too very same now just here there this that which when because if why how what"
  ).split(" "),
);
/** Words after a number that make it a quantity, not a code: "6 số", "120 giây", "4000 mAh". */
const UNITS = new Set(
  (
    "so ky chu lan phut p giay s gio h ngay thang nam tuoi k d dong vnd nghin ngan trieu tr ty ti cu " +
    "mah usd digits digit times minutes minute mins seconds secs hours days chars characters letters"
  ).split(" "),
);
/** Words before a number that make it a date, a time or a price: "sinh năm 1998", "lúc 1530", "giá 2000". */
const QUANTITY_BEFORE = new Set(
  "nam ngay thang luc gio gia tien phi het sau truoc trong khoang year years at price cost since in".split(" "),
);
/** The word just before position `p` (spaces skipped), folded. */
function wordBefore(sc: Scanner, p: number): string {
  const t = sc.tokenBefore(p);
  return t ? sc.s.slice(t.from, t.to) : "";
}

/** Between "mã" alone and its separator: "mã nha: 552 019", "mã của em là 4417". */
const MA_FILLER = new Set("nha nhe ne day do a ak cua minh em e toi tui anh chi nay".split(" "));
/** Between a value and a keyword that follows it: "583920 là mã OTP", "123456 is my OTP". */
const AFTER_FILLER = new Set("ma cai chinh my the your a an this cua minh so".split(" "));

// One Vietnamese syllable written without marks: an ordinary word, not part of a password.
const SYLLABLE = /^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$/u;
// Quantities, times and sizes that look like letters-and-digits: "500k", "9h30", "2tr5", "4g".
const QUANTITY =
  /^\d+(?:[.,]\d+)*(?:k|tr|trieu|d|vnd|usd|h|g|gb|mb|kb|p|ph|m|mah|s|x|%)\d{0,2}$|^\d{1,2}[h:]\d{0,2}$|^2fa$/u;

// English contractions: "doesn't", "I'm", "it's".
const CONTRACTION = /^\p{L}+['’]\p{L}{1,2}$/u;

/* ------------------------------------------------------------------------------------ */

interface Span {
  /** Folded-text positions [from, to). */
  from: number;
  to: number;
  kind: SecretKind;
}

interface Tok {
  from: number;
  /** End of the token without trailing punctuation. */
  to: number;
  /** End including trailing punctuation. */
  rawTo: number;
}

class Scanner {
  readonly s: string;
  readonly keywordAt = new Set<number>();
  readonly spans: Span[] = [];

  constructor(
    readonly original: string,
    readonly m: Mapped,
  ) {
    this.s = m.text;
  }

  /** The user's own characters behind folded positions [from, to), NFKC'd, zero-width removed (case kept). */
  orig(from: number, to: number): string {
    if (to <= from) return "";
    return this.original
      .slice(this.m.start[from], this.m.end[to - 1])
      .normalize("NFKC")
      .replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/gu, "");
  }

  skipSpaces(p: number, newlines: boolean): number {
    const s = this.s;
    while (p < s.length && (s[p] === " " || (newlines && s[p] === "\n"))) p++;
    return p;
  }

  sticky(re: RegExp, p: number): RegExpExecArray | null {
    re.lastIndex = p;
    return re.exec(this.s);
  }

  /** The token starting at `p` (after spaces are skipped by the caller), quotes and trailing punctuation trimmed. */
  tokenAt(p: number): Tok | undefined {
    const m = this.sticky(TOKEN_RE, p);
    if (!m) return undefined;
    let from = p;
    let to = p + m[0].length;
    const rawTo = to;
    const s = this.s;
    while (from < to && /["'(“‘[]/u.test(s[from] ?? "")) from++;
    while (to > from && /[.,!?;:)"'”’\]…]/u.test(s[to - 1] ?? "")) to--;
    if (to <= from) return undefined;
    return { from, to, rawTo };
  }

  /** The token ending at `p` (spaces before `p` skipped), or undefined at a line start. */
  tokenBefore(p: number): Tok | undefined {
    const s = this.s;
    let e = p;
    while (e > 0 && s[e - 1] === " ") e--;
    let b = e;
    while (b > 0 && s[b - 1] !== " " && s[b - 1] !== "\n") b--;
    if (b === e) return undefined;
    return this.tokenAt(b);
  }

  add(from: number, to: number, kind: SecretKind): void {
    if (to > from) this.spans.push({ from, to, kind });
  }
}

function isQuantity(folded: string): boolean {
  return QUANTITY.test(folded);
}

/** Letters and digits, symbols, inner capitals, or a long number: a value nobody types by chance. */
function looksLikePassword(original: string, folded: string): boolean {
  if (/^\*+$/u.test(folded) || isQuantity(folded) || CONTRACTION.test(folded)) return false;
  const digits = (folded.match(/\d/gu) ?? []).length;
  const letters = /\p{L}/u.test(folded);
  const symbols = /[^\p{L}\p{N}]/u.test(folded);
  if (digits > 0 && letters) return true;
  if (symbols && (digits > 0 || letters)) return true;
  if (/\p{Ll}\p{Lu}/u.test(original)) return true;
  return digits >= 4 && !letters;
}

/** A lower-case word of letters the user could have meant as a word: particle, pronoun, syllable, typed with marks. */
function isOrdinaryWord(original: string, folded: string): boolean {
  if (CONTRACTION.test(folded)) return !/\p{Lu}/u.test(original.slice(1));
  if (!/^\p{L}+$/u.test(folded) || /\p{Lu}/u.test(original)) return false;
  return ORDINARY.has(folded) || NOT_A_VALUE.has(folded) || SYLLABLE.test(folded) || hasVietnameseMarks(original);
}

const clauseEnds = (sc: Scanner, t: Tok) => t.rawTo > t.to || sc.s[t.rawTo] === "\n" || t.rawTo >= sc.s.length;

/**
 * A password goes on over the tokens after its first one until the clause ends: at
 * punctuation, a line break, another keyword, or an ordinary word. Why this rule: one
 * token leaves the rest of "Qwe 199" in the clear, and "the rest of the message" hides
 * what the user asks; passwords are not made of Vietnamese syllables, particles or
 * pronouns typed in lower case, and messages about passwords go on with exactly those
 * ("nhé", "mà không vào được", "em nhập đúng rồi"). A token with a digit, a symbol or a
 * capital letter is taken as part of the value even when it spells a word ("Lan Anh
 * 2003"): masking a word too many costs little, leaving half a password costs a lot.
 * Bounded (six tokens) so each keyword looks at a constant amount of text.
 */
function extendPassword(sc: Scanner, first: Tok): number {
  let end = first.to;
  let last = first;
  for (let n = 0; n < 6 && !clauseEnds(sc, last); n++) {
    const p = sc.skipSpaces(last.rawTo, false);
    if (sc.keywordAt.has(p)) break;
    const t = sc.tokenAt(p);
    if (!t) break;
    const folded = sc.s.slice(t.from, t.to);
    if (isOrdinaryWord(sc.orig(t.from, t.to), folded)) break;
    end = t.to;
    last = t;
  }
  return end;
}

/** The same rule walking back from a value that comes before its keyword ("Qwe 199 là mật khẩu"). */
function extendPasswordBack(sc: Scanner, first: Tok): number {
  let start = first.from;
  for (let n = 0; n < 6; n++) {
    const t = sc.tokenBefore(start);
    if (!t || t.rawTo > t.to || sc.keywordAt.has(t.from)) break;
    const folded = sc.s.slice(t.from, t.to);
    if (isOrdinaryWord(sc.orig(t.from, t.to), folded) || !(t.rawTo === start || sc.s[t.rawTo] === " ")) break;
    start = t.from;
  }
  return start;
}

type KeyKind = "cvv" | "otp" | "pw" | "ma";

const kindOf = (k: KeyKind): SecretKind => (k === "cvv" ? "card" : k === "pw" ? "password" : "otp");

const digitCount = (s: string) => (s.match(/\d/gu) ?? []).length;

/**
 * "mã" alone ("code"; folded, also "mà", "but") names a secret only in the shape
 * "mã [nhé/của em] : <4–8 digits>": a separator is required, nothing but particles and
 * pronouns may come between, and "mà" typed with its grave accent is not a keyword.
 */
function bareCode(sc: Scanner, start: number, end: number): void {
  if (/[\u0300]/u.test(sc.orig(start, end).normalize("NFD"))) return;
  let p = end;
  let sep = false;
  for (let i = 0; i < 6; i++) {
    p = sc.skipSpaces(p, true);
    const sm = sc.sticky(SEP_RE, p);
    if (sm && /^(?:la|is|:|=)$/u.test(sm[0])) {
      sep = true;
      p += sm[0].length;
      continue;
    }
    if (sep) break;
    const wm = sc.sticky(WORD_RE, p);
    if (!wm || !MA_FILLER.has(wm[0])) return;
    p += wm[0].length;
  }
  if (!sep) return;
  const code = codeAt(sc, sc.skipSpaces(p, true), 4);
  if (code && digitCount(sc.s.slice(code.from, code.to)) <= 8) sc.add(code.from, code.to, "otp");
}

/** A digit run at `p` that reads as a code: enough digits, not glued to letters, not a quantity ("120 giây"). */
function codeAt(sc: Scanner, p: number, minDigits: number): { from: number; to: number } | undefined {
  const m = sc.sticky(DIGIT_RUN_RE, p);
  if (!m) return undefined;
  const to = p + m[0].length;
  if (/\p{L}/u.test(sc.s[to] ?? "")) return undefined;
  if ((m[0].match(/\d/gu) ?? []).length < minDigits) return undefined;
  const next = sc.sticky(WORD_RE, sc.skipSpaces(to, false));
  if (next && UNITS.has(next[0])) return undefined;
  return { from: p, to };
}

/** Keyword first: "otp 583920", "mật khẩu của mình là: Abc 123", "pin code: 2580". */
function forward(sc: Scanner, kind: KeyKind, weak: boolean, end: number): void {
  let p = end;
  let sep = false;
  // "to" and "thành" ("set the password to …", "đổi mật khẩu thành …") also start other phrases
  // ("give my password to staff"): after them only a value that looks like a password counts.
  let weakSep = true;
  let loose = 0;
  let bare = -1;
  const maxLoose = kind === "pw" ? 3 : 5;
  for (let i = 0; i < 10; i++) {
    p = sc.skipSpaces(p, true);
    const sm = sc.sticky(SEP_RE, p);
    if (sm) {
      const soft = sm[0] === "to" || sm[0] === "thanh";
      if (soft && kind !== "pw") break;
      sep = true;
      weakSep &&= soft;
      p += sm[0].length;
      continue;
    }
    if (sep) break;
    if (bare < 0) bare = p;
    if (sc.keywordAt.has(p)) return;
    const wm = sc.sticky(WORD_RE, p);
    if (!wm) break;
    const w = wm[0];
    if (FILLER.has(w) || /^cap ?\d$/u.test(w)) {
      p += w.length;
      if (loose === 0) bare = -1;
      continue;
    }
    if (BLOCK.has(w.replace(/['’]/gu, "")) || loose >= maxLoose) break;
    loose++;
    p += w.length;
  }
  const at = sep ? sc.skipSpaces(p, true) : bare;
  if (kind !== "pw") {
    // "smart otp hiện số 918273", "otp tôi mới nhận 6 5 4 3 2 1": a few words, then the
    // code. Without a separator only a code-sized run counts (4–8 digits, not a phone).
    if (!sep && loose > 0 && at !== p && !QUANTITY_BEFORE.has(wordBefore(sc, p))) {
      const code = codeAt(sc, sc.skipSpaces(p, false), 4);
      if (code && digitCount(sc.s.slice(code.from, code.to)) <= 8) {
        sc.add(code.from, code.to, kindOf(kind));
        return;
      }
    }
    if (at < 0) return;
    const code = codeAt(sc, at, kind === "cvv" || sep ? 3 : 4);
    if (code) {
      sc.add(code.from, code.to, kindOf(kind));
      return;
    }
    // Strong keywords take letters-and-digits codes too ("mã xác nhận: A7K9P2").
    const t = !weak && (sep || loose === 0) ? sc.tokenAt(at) : undefined;
    if (!t) return;
    const v = sc.s.slice(t.from, t.to);
    if (/^[\p{L}\p{N}]{4,12}$/u.test(v) && /\d/u.test(v) && /\p{L}/u.test(v) && !isQuantity(v))
      sc.add(t.from, t.to, kindOf(kind));
    return;
  }
  if (at < 0) return;
  const first = sc.tokenAt(at);
  if (!first || sc.keywordAt.has(first.from)) return;
  const folded = sc.s.slice(first.from, first.to);
  const original = sc.orig(first.from, first.to);
  if (/^\*+$/u.test(folded) || (NOT_A_VALUE.has(folded) && !/\p{Lu}/u.test(original))) return;
  const strong = looksLikePassword(original, folded);
  const firm = sep && !weakSep;
  const tight = firm && loose === 0;
  let accept = strong;
  if (!accept && firm && /\p{Lu}/u.test(original) && folded.length >= 3) accept = true; // "mk là Minh Chau 95"
  if (!accept && tight && !weak && folded.length >= 3 && !isOrdinaryWord(original, folded)) accept = true;
  if (accept) {
    sc.add(first.from, extendPassword(sc, first), "password");
    return;
  }
  if (!sep) {
    if (loose === 0 || QUANTITY_BEFORE.has(wordBefore(sc, p))) return;
    // A few words and then, without a separator, a PIN-sized number ("mật khẩu ATM của em
    // 2468") or a quoted value ("ghi mật khẩu vào đây 'Tuyet_2001'").
    const code = codeAt(sc, p, 4);
    if (code && digitCount(sc.s.slice(code.from, code.to)) <= 8) {
      sc.add(code.from, code.to, "password");
      return;
    }
    const quoted = /["'“‘]/u.test(sc.s[p] ?? "") ? sc.tokenAt(p) : undefined;
    if (quoted && looksLikePassword(sc.orig(quoted.from, quoted.to), sc.s.slice(quoted.from, quoted.to)))
      sc.add(quoted.from, extendPassword(sc, quoted), "password");
    return;
  }
  // "mật khẩu mình đặt là ngày sinh 01011990", "pass: trang 1234": words first, then
  // something only a password looks like, in the same clause. After a real separator the
  // words go too (they may be the first half of the password); after "to"/"thành" only the value.
  let t: Tok | undefined = first;
  for (let n = 0; t && n < 6 && !clauseEnds(sc, t); n++) {
    const p2 = sc.skipSpaces(t.rawTo, false);
    if (sc.keywordAt.has(p2)) break;
    t = sc.tokenAt(p2);
    if (t && looksLikePassword(sc.orig(t.from, t.to), sc.s.slice(t.from, t.to))) {
      sc.add(firm ? first.from : t.from, extendPassword(sc, t), "password");
      return;
    }
  }
}

/** Value first: "583920 là mã OTP", "123456 is my OTP", "Hoalan1988 là mật khẩu cũ". */
function backward(sc: Scanner, kind: KeyKind, start: number): void {
  const s = sc.s;
  let p = start;
  for (let i = 0; i < 3; i++) {
    const t = sc.tokenBefore(p);
    if (!t || t.rawTo !== t.to || !AFTER_FILLER.has(s.slice(t.from, t.to))) break;
    p = t.from;
  }
  // The separator, just before.
  let q = p;
  while (q > 0 && s[q - 1] === " ") q--;
  let sepStart = -1;
  for (const sep of ["chinh la", "la", "is", "was", "=", ":", "-"]) {
    if (
      s.endsWith(sep, q) &&
      (sep.length === 1 || q - sep.length === 0 || !/[\p{L}\p{N}]/u.test(s[q - sep.length - 1] ?? ""))
    ) {
      sepStart = q - sep.length;
      break;
    }
  }
  if (sepStart < 0) return;
  let e = sepStart;
  while (e > 0 && s[e - 1] === " ") e--;
  if (kind !== "pw") {
    // Walk back over the digit run that ends here, then read it forwards.
    let b = e;
    while (b > 0 && /[\d .\-_]/u.test(s[b - 1] ?? "")) b--;
    while (b < e && !/\d/u.test(s[b] ?? "")) b++;
    if (b >= e || /\p{L}/u.test(s[b - 1] ?? "")) return;
    for (let from = b; from < e; ) {
      const m = sc.sticky(DIGIT_RUN_RE, from);
      if (!m) {
        from++;
        continue;
      }
      const to = from + m[0].length;
      if (to === e) {
        if ((m[0].match(/\d/gu) ?? []).length >= (kind === "cvv" ? 3 : 4)) sc.add(from, to, kindOf(kind));
        return;
      }
      from = to;
    }
    return;
  }
  const t = sc.tokenBefore(e);
  if (!t || t.to !== e) return;
  if (!looksLikePassword(sc.orig(t.from, t.to), s.slice(t.from, t.to))) return;
  sc.add(extendPasswordBack(sc, t), t.to, "password");
}

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A card network's number: Visa, Mastercard, Amex, JCB, Discover, UnionPay (2–6), or Napas (9704). */
function isCard(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  if (digits.startsWith("9704")) return digits.length === 16 || digits.length === 19 || luhn(digits);
  return /^[2-6]/u.test(digits) && luhn(digits);
}

/**
 * Card numbers anywhere: 13–19 digits in one run, however grouped. When a run holds more
 * (a card and its CVV, "4000 0566 5566 5556 733"), the card is the longest leading groups
 * that make one, and a 3–4 digit group after it is masked too. The last four digits stay.
 */
function cards(sc: Scanner): void {
  const s = sc.s;
  CARD_RUN_RE.lastIndex = 0;
  for (let m = CARD_RUN_RE.exec(s); m; m = CARD_RUN_RE.exec(s)) {
    const run = m[0];
    const groups = [...run.matchAll(/\d+/gu)].map((g) => ({ from: m.index + (g.index ?? 0), digits: g[0] }));
    const total = groups.reduce((n, g) => n + g.digits.length, 0);
    if (total < 13) continue;
    // 1.234.567.890.123 is money.
    if (groups.length > 2 && /^\d{1,3}(?:[.,]\d{3})+$/u.test(run)) continue;
    let digits = "";
    let found = -1;
    let foundDigits = "";
    for (let i = 0; i < groups.length && digits.length < 19; i++) {
      digits += groups[i]?.digits ?? "";
      if (isCard(digits)) {
        found = i;
        foundDigits = digits;
      }
    }
    if (found < 0) continue;
    // Up to the fourth-last digit of the card.
    let keep = 4;
    let cut = -1;
    for (let i = found; i >= 0 && keep > 0; i--) {
      const g = groups[i];
      if (!g) break;
      if (g.digits.length >= keep) {
        cut = g.from + g.digits.length - keep;
        keep = 0;
      } else keep -= g.digits.length;
    }
    if (cut <= m.index || foundDigits.length < 13) continue;
    sc.add(m.index, cut, "card");
    const next = groups[found + 1];
    if (next && next.digits.length >= 3 && next.digits.length <= 4)
      sc.add(next.from, next.from + next.digits.length, "card");
  }
}

/** Zero-width characters right after a secret go with it. */
function pastZeroWidth(text: string, at: number): number {
  while (at < text.length && /[\u200B-\u200D\u2060\uFEFF\u00AD]/u.test(text[at] ?? "")) at++;
  return at;
}

/** Mask every secret in `text`; `kinds` says what was found (empty when nothing was). */
export function maskSecrets(text: string): MaskResult {
  const m = foldMapped(text);
  const sc = new Scanner(text, m);
  const s = m.text;
  const found: { start: number; end: number; kind: KeyKind; weak: boolean }[] = [];
  KEYWORD_RE.lastIndex = 0;
  for (let k = KEYWORD_RE.exec(s); k; k = KEYWORD_RE.exec(s)) {
    const kind: KeyKind = k.groups?.cvv ? "cvv" : k.groups?.otp ? "otp" : k.groups?.pw ? "pw" : "ma";
    found.push({ start: k.index, end: k.index + k[0].length, kind, weak: WEAK.has(k[0]) });
    // "mã"/"mà" alone does not end another keyword's phrase ("mật khẩu mà em đặt là …").
    if (kind !== "ma") sc.keywordAt.add(k.index);
  }
  for (const k of found) {
    if (k.kind === "ma") {
      bareCode(sc, k.start, k.end);
      continue;
    }
    forward(sc, k.kind, k.weak, k.end);
    backward(sc, k.kind, k.start);
  }
  cards(sc);
  if (sc.spans.length === 0) return { text, kinds: [] };

  // Original-text spans, merged where they touch, replaced left to right.
  const spans = sc.spans
    .map((sp) => ({
      from: m.start[sp.from] ?? 0,
      to: pastZeroWidth(text, m.end[sp.to - 1] ?? text.length),
      kind: sp.kind,
    }))
    .sort((a, b) => a.from - b.from || b.to - a.to);
  const kinds = new Set<SecretKind>();
  const out: string[] = [];
  let at = 0;
  let open: { from: number; to: number } | undefined;
  for (const sp of spans) {
    kinds.add(sp.kind);
    if (open && sp.from <= open.to) {
      open.to = Math.max(open.to, sp.to);
      continue;
    }
    if (open) {
      out.push(text.slice(at, open.from), MASK);
      at = open.to;
    }
    open = { from: sp.from, to: sp.to };
  }
  if (open) {
    out.push(text.slice(at, open.from), MASK);
    at = open.to;
  }
  out.push(text.slice(at));
  return { text: out.join(""), kinds: [...kinds] };
}
