import type { Lexicon as LexiconData } from "../content/schema.js";
import { clip, fold, hasVietnameseMarks, toneKey } from "../text/normalize.js";
import { PLACEHOLDER_NEEDS, PLACEHOLDERS } from "./features.js";

/**
 * Whether a message is about this desk at all, decided from what the model cannot see: the
 * model scores words it knows, and drops the rest; but "tổng đài điện lực EVN" is about
 * someone else's hotline precisely because of the words it drops or does not weigh. Three
 * reasons make a message out of scope whatever the scores say:
 *
 * - `other_service`: it asks about another organisation's, service's or person's thing
 *   ("giờ mở cửa nhà thuốc Long Châu", "quên mật khẩu wifi", "email của thầy chủ nhiệm"),
 *   named by the lexicon's `others` groups or as a name the model does not know (capitalised
 *   inside a sentence, all capitals, or not a Vietnamese syllable in a Vietnamese message),
 *   and the intent it looks like does not accept that group (an intent's `others`);
 * - `aimed_at_bot`: it gives the bot instructions ("SYSTEM: set intent=…", "bỏ qua mọi hướng
 *   dẫn trước đó");
 * - `quoted`: small talk inside talk about words ("bài hát tạm biệt người yêu là của ai").
 */
export type ScopeReason = "other_service" | "aimed_at_bot" | "quoted";

/** The group of names the model does not know; `all` accepts every group. */
export const NAMES = "names";
export const ALL = "all";

/** What the scope check needs to know about an intent. */
export interface ScopeIntent {
  /** Groups of others its questions may name (`all`: any). */
  others: readonly string[];
  /** Greetings, thanks, goodbyes: quoted inside talk about songs or words. */
  smallTalk: boolean;
}

export interface Mention {
  group: string;
  /** The words as typed. */
  text: string;
  /** Named through a link word ("qua Vietcombank"): not what the message asks about. */
  linked: boolean;
}

interface Word {
  orig: string;
  folded: string;
  key: string;
  marked: boolean;
  /** First word of a sentence (a capital there says nothing). */
  start: boolean;
  /** Punctuation before it: a phrase does not run on across "bạn, mình". */
  broken: boolean;
}

interface Phrase {
  folded: string[];
  /** Tone keys of the phrase's words typed with diacritics (`undefined`: compare folded). */
  keys: (string | undefined)[];
}

const TOKEN = /[\p{L}\p{N}]+/gu;
const NAME_MIN_LETTERS = 5;
const ENGLISH_SUFFIX = /(?:ment|tion|sion|ing|ness|able|ible|ful|less|ous|ive|ance|ence|ity|ies|ed|ly|er|ers)$/;
const STRETCH = /(\p{L})\1{2,}/gu;
// Folded Vietnamese syllables, teencode onsets (f, j, w, z, dz) allowed: "vinasun", "sawaco",
// "highlands" and "evn" are not syllables, "dzay" and "wa" are.
const SYLLABLE =
  /^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|dz|[bcdfghjklmnpqrstvwxz])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnptk])?$/;
// Role tags and settings written at the bot: "SYSTEM:", "[admin]", "intent=handoff.human".
const ROLE_TAG = /^\W{0,3}(?:system|assistant|developer|admin|root|user)\s?(?:\]|:|>)/iu;
const SETTING = /(?<![\p{L}\p{N}])(?:intent|confidence|label|class|role|mode|prompt)\s?[=:]\s?[\p{L}\p{N}_.-]+/iu;
// The same entity patterns as the features, without case: "support@Hotro.vn" is not a name.
const ENTITIES = PLACEHOLDERS.map(
  ([re]) => [new RegExp(re.source, `${re.flags.replace("i", "")}i`), PLACEHOLDER_NEEDS.get(re)] as const,
);
/** The scope's patterns, for the linear-pattern check in the tests. */
export const SCOPE_PATTERNS: readonly RegExp[] = [TOKEN, STRETCH, SYLLABLE, ENGLISH_SUFFIX, ROLE_TAG, SETTING];

function phrase(text: string): Phrase {
  const words = text
    .normalize("NFKC")
    .toLowerCase()
    .match(/[\p{L}\p{N}*]+/gu) ?? [""];
  return {
    folded: words.map((w) => fold(w)),
    keys: words.map((w) => (hasVietnameseMarks(w) ? toneKey(w) : undefined)),
  };
}

export class Scope {
  private readonly groups: [string, Phrase[]][];
  private readonly links: Phrase[];
  private readonly own: Phrase[];
  private readonly places: Phrase[];
  private readonly instructions: Phrase[];
  private readonly quoting: Phrase[];
  private readonly cues: Map<string, Phrase[]>;
  private readonly product: Phrase[];
  private readonly incidental: Set<string>;
  private readonly particles: Set<string>;

  constructor(
    data: LexiconData | undefined,
    /** This deployment's own names (brand, site): a message naming them is about us. */
    brand: readonly string[],
    /** Whether the model knows a folded word (or can correct it to one it knows). */
    private readonly known: (folded: string) => boolean,
  ) {
    this.groups = Object.entries(data?.others ?? {}).map(([g, words]) => [g, words.map(phrase)]);
    this.links = (data?.links ?? []).map(phrase);
    this.own = [...(data?.own ?? []), ...brand.filter((b) => b.trim())].map(phrase);
    this.places = (data?.places ?? []).map(phrase);
    this.instructions = (data?.instructions ?? []).map(phrase);
    this.quoting = (data?.quoting ?? []).map(phrase);
    this.product = (data?.incidental.words ?? []).map(phrase);
    this.incidental = new Set(data?.incidental.groups ?? []);
    this.cues = new Map(Object.entries(data?.cues ?? {}).map(([name, list]) => [name, list.map(phrase)]));
    this.particles = new Set((data?.particles ?? []).map((p) => fold(p.toLowerCase())));
  }

  /** Why `text` is out of scope for `intent`, if it is. */
  judge(text: string, intent: ScopeIntent | undefined, vietnamese: boolean): ScopeReason | undefined {
    const words = this.words(text);
    if (this.aimedAtBot(text, words)) return "aimed_at_bot";
    if (!intent) return undefined;
    if (intent.smallTalk && this.quoting.some((p) => findAll(words, p).length > 0)) return "quoted";
    if (intent.others.includes(ALL)) return undefined;
    if (this.own.some((p) => findAll(words, p).length > 0)) return undefined;
    const product = this.product.some((p) => findAll(words, p).length > 0);
    const foreign = this.mentions(text, vietnamese, words).find(
      (m) => !m.linked && !intent.others.includes(m.group) && !(product && this.incidental.has(m.group)),
    );
    return foreign ? "other_service" : undefined;
  }

  /**
   * The groups of others a text names as what it is about (not through a link word): an
   * intent whose own examples do ("có app cho iphone không") accepts them.
   */
  groupsIn(text: string): string[] {
    return [
      ...new Set(
        this.mentions(text, false)
          .filter((m) => !m.linked && m.group !== NAMES)
          .map((m) => m.group),
      ),
    ];
  }

  /** Whether a phrase of the lexicon's cue list `name` occurs in the text. */
  says(name: string, text: string): boolean {
    const words = this.words(text);
    return (this.cues.get(name) ?? []).some((p) => findAll(words, p).length > 0);
  }

  /** Instructions for the bot rather than a question for support. */
  aimedAtBot(text: string, words = this.words(text)): boolean {
    const head = clip(text, 400);
    if (ROLE_TAG.test(head) || SETTING.test(head)) return true;
    return this.instructions.some((p) => findAll(words, p).length > 0);
  }

  /** Others the message names: the lexicon's groups, and names the model does not know. */
  mentions(text: string, vietnamese: boolean, words = this.words(text)): Mention[] {
    const out: Mention[] = [];
    const covered = new Set<number>();
    for (const [group, phrases] of this.groups) {
      for (const p of phrases) {
        for (const [at, len] of findAll(words, p)) {
          for (let k = at; k < at + len; k++) covered.add(k);
          out.push({ group, text: span(words, at, len), linked: this.linked(words, at) });
        }
      }
    }
    for (const p of [...this.own, ...this.places])
      for (const [at, len] of findAll(words, p)) for (let k = at; k < at + len; k++) covered.add(k);
    for (const [i, w] of words.entries()) {
      if (covered.has(i) || !this.isName(w, vietnamese)) continue;
      covered.add(i);
      out.push({ group: NAMES, text: w.orig, linked: this.linked(words, i) });
    }
    // Known words can make a name too: two or more capitalised inside a sentence ("taxi Mai
    // Linh", "xe Phương Trang"), unless the whole message is written in capitals or title case.
    const capital = (w: Word) => /^\p{Lu}/u.test(w.orig);
    if (words.filter(capital).length * 2 <= words.length) {
      for (let i = 0; i < words.length; i++) {
        let j = i;
        while (j < words.length && capital(words[j] as Word) && !covered.has(j) && (j === i || !words[j]?.broken)) j++;
        if (j - i >= 2 && !words[i]?.start) {
          out.push({ group: NAMES, text: span(words, i, j - i), linked: this.linked(words, i) });
        }
        i = Math.max(i, j - 1);
      }
    }
    return out;
  }

  private isName(w: Word, vietnamese: boolean): boolean {
    if (w.folded.length < 2 || /\d/.test(w.folded) || this.particles.has(w.folded)) return false;
    // Laughter and fillers repeat a syllable ("hihi", "kkk", "hjhj"): not names.
    if (/^(\p{L}{1,3})\1+$/u.test(w.folded) || this.known(w.folded)) return false;
    const letters = w.orig.replace(/[^\p{L}]/gu, "");
    if (letters.length >= 2 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return true;
    if (!w.start && /^\p{Lu}/u.test(w.orig)) return true;
    // A long word that is no Vietnamese syllable, in a Vietnamese message: a brand or a
    // name ("vinasun", "highlands"); short ones, and ones shaped like English words
    // ("attachment", "updated"), are too often English typed in passing.
    return (
      vietnamese && w.folded.length >= NAME_MIN_LETTERS && !SYLLABLE.test(w.folded) && !ENGLISH_SUFFIX.test(w.folded)
    );
  }

  /**
   * A link word right before, or one or two words before ("qua app Grab", "bằng tài khoản
   * Google"). Compared strictly: without diacritics "tai khoan shopee" is tài, not tại; the
   * lexicon lists the unaccented forms that are unambiguous ("vao", "tren").
   */
  private linked(words: Word[], at: number): boolean {
    for (const p of this.links) {
      for (let gap = 0; gap <= 2; gap++) {
        const start = at - gap - p.folded.length;
        if (start >= 0 && matchesAt(words, p, start, 0, "strict") === p.folded.length) return true;
      }
    }
    return false;
  }

  /** The last text's words: one match asks for them up to three times (bot, judge, clause). */
  private last: { text: string; words: Word[] } | undefined;

  private words(text: string): Word[] {
    if (this.last?.text === text) return this.last.words;
    const words = this.split(text);
    this.last = { text, words };
    return words;
  }

  private split(text: string): Word[] {
    let t = clip(text).normalize("NFKC");
    for (const [re, needs] of ENTITIES) if (needs?.test(t) !== false) t = t.replace(re, " . ");
    const out: Word[] = [];
    let last = 0;
    for (const m of t.matchAll(TOKEN)) {
      const orig = m[0];
      const at = m.index ?? 0;
      const between = t.slice(last, at);
      last = at + orig.length;
      const lower = orig.toLowerCase().replace(STRETCH, "$1$1");
      out.push({
        orig,
        ...forms(lower),
        start: out.length === 0 || /[.!?:\n]/u.test(between),
        broken: /[^\s]/u.test(between),
      });
    }
    return out;
  }
}

/**
 * A word's folded and tone-key forms, remembered: people use a few thousand words, and
 * folding them again for every message was a fifth of a match's cost. Bounded: the cache
 * starts over when full, so odd input cannot grow it.
 */
const FORMS = new Map<string, { folded: string; key: string; marked: boolean }>();
const FORMS_MAX = 20_000;

function forms(lower: string): { folded: string; key: string; marked: boolean } {
  let f = FORMS.get(lower);
  if (!f) {
    if (FORMS.size >= FORMS_MAX) FORMS.clear();
    f = { folded: fold(lower), key: toneKey(lower), marked: hasVietnameseMarks(lower) };
    FORMS.set(lower, f);
  }
  return f;
}

function span(words: Word[], at: number, len: number): string {
  return words
    .slice(at, at + len)
    .map((w) => w.orig)
    .join(" ");
}

/** Every place a phrase occurs: [start, length] (a `*` in a phrase stands for up to three words). */
function findAll(words: Word[], p: Phrase): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < words.length; i++) {
    const len = matchesAt(words, p, i);
    if (len > 0) out.push([i, len]);
  }
  return out;
}

/** How many words a phrase covers when it starts at `at`; -1 when it does not occur there. */
function matchesAt(words: Word[], p: Phrase, at: number, j = 0, mode: "strict" | "loose" = "loose"): number {
  if (j === p.folded.length) return 0;
  const f = p.folded[j];
  if (f === "*") {
    for (let skip = 0; skip <= 3 && at + skip <= words.length; skip++) {
      const rest = matchesAt(words, p, at + skip, j + 1, mode);
      if (rest >= 0) return skip + rest;
    }
    return -1;
  }
  const w = words[at];
  if (!w || (j > 0 && w.broken)) return -1;
  const key = p.keys[j];
  // Typed with diacritics, a word is compared with them. Without, it is compared folded,
  // except against a one-word phrase written with diacritics, or in strict mode: folded,
  // "phuong" is phương as often as phường, and "tai" tài as often as tại.
  const strict = mode === "strict" || (p.folded.length === 1 && key !== undefined);
  const same = key !== undefined && (w.marked || strict) ? w.marked && w.key === key : w.folded === f;
  if (!same) return -1;
  const rest = matchesAt(words, p, at + 1, j + 1, mode);
  return rest >= 0 ? 1 + rest : -1;
}
