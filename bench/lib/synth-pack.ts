import { mulberry32 } from "../../src/nlu/logreg.js";
import type { IntentExamples } from "../../src/nlu/matcher.js";

/**
 * A generated content pack for the matcher benchmark: `n` intents with Vietnamese-like
 * examples (toned syllables, shared filler phrases, a few topic words per intent) and a
 * couple of English ones, plus test messages that are not examples (a word dropped, marks
 * removed, words reordered). Deterministic for a given seed.
 */

const ONSETS = [
  "b",
  "c",
  "ch",
  "d",
  "đ",
  "g",
  "gi",
  "h",
  "k",
  "kh",
  "l",
  "m",
  "n",
  "ng",
  "nh",
  "ph",
  "qu",
  "s",
  "t",
  "th",
  "tr",
  "v",
  "x",
];
const NUCLEI = [
  "a",
  "ă",
  "â",
  "e",
  "ê",
  "i",
  "o",
  "ô",
  "ơ",
  "u",
  "ư",
  "oa",
  "uô",
  "ươ",
  "iê",
  "ai",
  "ao",
  "au",
  "oi",
  "ơi",
  "ui",
  "ưu",
];
const CODAS = ["", "", "", "c", "m", "n", "ng", "nh", "p", "t"];
// Combining tone marks: none, grave, acute, hook, tilde, dot below.
const TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"];
const FILLERS_VI = [
  "cho mình hỏi",
  "làm sao để",
  "ad ơi",
  "giúp mình với",
  "tại sao",
  "mình muốn",
  "có cách nào",
  "bên bạn có",
  "hướng dẫn mình",
  "không biết",
];
const FILLERS_EN = ["how do I", "can you help with", "I want to", "why is my", "where can I find"];
const EN_WORDS = [
  "card",
  "limit",
  "refund",
  "voucher",
  "branch",
  "statement",
  "transfer",
  "device",
  "profile",
  "invoice",
  "loan",
  "saving",
  "cashback",
  "points",
  "address",
  "phone",
  "email",
  "ticket",
  "order",
  "delivery",
  "coupon",
  "fee",
  "rate",
  "deposit",
  "withdrawal",
  "wallet",
  "qr",
  "sms",
  "pin",
  "token",
];

export interface SynthPack {
  intents: IntentExamples[];
  /** Messages that are not examples, each with the intent it was made from. */
  tests: { text: string; intent: string }[];
}

export function synthPack(n = 500, examplesPerIntent = 10, seed = 42): SynthPack {
  const rand = mulberry32(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)] as T;
  const syllable = () => {
    const s = `${pick(ONSETS)}${pick(NUCLEI)}${pick(CODAS)}`;
    // The tone goes on the vowel with a quality mark (ă â ê ô ơ ư), else on the first vowel.
    const tone = pick(TONES);
    const at = /[ăâêôơư]/u.test(s) ? /[ăâêôơư]/u : /[aeiouy]/u;
    return s.replace(at, (v) => `${v}${tone}`).normalize("NFC");
  };
  const seen = new Set<string>();
  const word = () => {
    for (;;) {
      const w = rand() < 0.6 ? `${syllable()} ${syllable()}` : syllable();
      if (!seen.has(w)) {
        seen.add(w);
        return w;
      }
    }
  };
  const shuffle = <T>(a: T[]): T[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j] as T, a[i] as T];
    }
    return a;
  };
  const intents: IntentExamples[] = [];
  const tests: { text: string; intent: string }[] = [];
  for (let i = 0; i < n; i++) {
    const id = `synth.i${String(i).padStart(3, "0")}`;
    const topic = [word(), word(), word(), word()];
    const en = [pick(EN_WORDS), pick(EN_WORDS)];
    const vi: string[] = [];
    const make = () => {
      const words = shuffle([...topic]).slice(0, 2 + Math.floor(rand() * 2));
      return [pick(FILLERS_VI), ...words, rand() < 0.3 ? "được không" : ""].filter(Boolean).join(" ");
    };
    const nVi = Math.max(1, examplesPerIntent - 2);
    for (let k = 0; k < nVi; k++) vi.push(make());
    const enEx = [`${pick(FILLERS_EN)} ${en[0]} ${en[1]} ${topic[0]}`, `${en[1]} ${en[0]} ${topic[1]} problem`].slice(
      0,
      examplesPerIntent - nVi,
    );
    intents.push({ id, examples: { vi, en: enEx } });
    // Test messages: a new combination, the same without marks, and one with a typo.
    const fresh = make();
    tests.push({ text: fresh, intent: id });
    tests.push({ text: fresh.normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d"), intent: id });
    const t = `${topic[2]} ${topic[0]} thì sao`;
    tests.push({ text: t.length > 6 ? `${t.slice(0, 3)}${t.slice(4)}` : t, intent: id });
  }
  return { intents, tests };
}
