/**
 * Secrets users paste into support chats: OTPs and verification codes, passwords, card
 * numbers. They are masked before an event is stored, logged or forwarded anywhere, and the
 * engine warns the user. Detection is deliberately keyword-anchored: a bare number may be an
 * amount or an account, and masking those would break the conversation.
 */

export type SecretKind = "otp" | "password" | "card";

export interface MaskResult {
  text: string;
  kinds: SecretKind[];
}

export const MASK = "******";

// Keywords, written to match with or without diacritics (and in the NFC input we get).
const OTP_WORDS =
  "(?:otp|m[aã]\\s*otp|m[aã]\\s*x[aá]c\\s*(?:nh[aậ]n|th[uự]c)|m[aã]\\s*(?:k[ií]ch\\s*ho[aạ]t|b[aả]o\\s*m[aậ]t|pin|code|sms)|ma\\s*xac\\s*(?:nhan|thuc)|verification\\s*code|security\\s*code|one[-\\s]?time\\s*(?:pass(?:word|code)?|code)|code|pin|cvv|cvc)";
const PASSWORD_WORDS = "(?:m[aậ]t\\s*kh[aẩ]u|mat\\s*khau|mk|pass(?:word)?|pwd|pw)";
// Words that may sit between the keyword and the value: "mk của mình là …", "my password is …".
const FILLER = "(?:\\s+(?:c[uủ]a\\s+)?(?:m[iì]nh|t[oô]i|em|tui|tao|anh|ch[iị]|my|moi|m[oớ]i|c[uũ]|hi[eệ]n\\s*t[aạ]i))*";
const SEP = "\\s*(?:l[aà]|=|:|is|was|la)\\s*";
// Question words after "mật khẩu là …" mean the user asks something, not tells a secret.
const NOT_A_VALUE = new Set([
  "gì",
  "gi",
  "j",
  "what",
  "sao",
  "bao",
  "nào",
  "nao",
  "đúng",
  "dung",
  "sai",
  "ai",
  "do",
  "đó",
  "the",
  "a",
  "an",
  "wrong",
  "correct",
  "không",
  "khong",
  "ko",
  "k",
  "incorrect",
  "invalid",
]);

const OTP_RE = new RegExp(`(${OTP_WORDS}${FILLER}(?:${SEP}|\\s*[#:]?\\s*))(\\d[\\d\\s-]{2,9}\\d)(?!\\d)`, "giu");
const PASSWORD_RE = new RegExp(`(${PASSWORD_WORDS}${FILLER}${SEP})(\\S{3,64})`, "giu");
// Without a separator ("pass Abc@123"), only values that look like a password count.
const PASSWORD_BARE_RE = new RegExp(`(${PASSWORD_WORDS}\\s+)(\\S{4,64})`, "giu");
const CARD_RE = /(?<!\d)(\d(?:[ -]?\d){12,18})(?!\d)/g;

function looksLikePassword(value: string): boolean {
  const hasDigit = /\d/.test(value);
  const hasLetter = /\p{L}/u.test(value);
  const hasSymbol = /[^\p{L}\p{N}]/u.test(value);
  const mixedCase = /\p{Lu}/u.test(value) && /\p{Ll}/u.test(value);
  return (
    (hasDigit && hasLetter) || (hasSymbol && (hasDigit || hasLetter) && !/^[\p{L}]+[.,!?]$/u.test(value)) || mixedCase
  );
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

/** Mask every secret in `text`; `kinds` says what was found (empty when nothing was). */
export function maskSecrets(text: string): MaskResult {
  const kinds = new Set<SecretKind>();
  let out = text.replace(OTP_RE, (_m, lead: string) => {
    kinds.add("otp");
    return `${lead}${MASK}`;
  });
  out = out.replace(PASSWORD_RE, (m, lead: string, value: string) => {
    const bare = value.replace(/[.,!?;]+$/u, "");
    if (bare === MASK || NOT_A_VALUE.has(bare.toLowerCase()) || bare.length < 3) return m;
    kinds.add("password");
    return `${lead}${MASK}${value.slice(bare.length)}`;
  });
  out = out.replace(PASSWORD_BARE_RE, (m, lead: string, value: string) => {
    const bare = value.replace(/[.,!?;]+$/u, "");
    if (bare === MASK || !looksLikePassword(bare)) return m;
    kinds.add("password");
    return `${lead}${MASK}${value.slice(bare.length)}`;
  });
  out = out.replace(CARD_RE, (m, num: string) => {
    const digits = num.replace(/\D/g, "");
    if (digits.length < 13 || !luhn(digits)) return m;
    kinds.add("card");
    return `${MASK}${digits.slice(-4)}`;
  });
  return { text: out, kinds: [...kinds] };
}
