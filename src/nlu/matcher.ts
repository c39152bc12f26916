import type { Lexicon as LexiconData } from "../content/schema.js";
import type { Lang } from "../ports/vocabulary.js";
import { canon, clip, fold, hasVietnameseMarks, tokens } from "../text/normalize.js";
import { type Analysed, analyse, type FeatureContext, featureCounts, withPlaceholders } from "./features.js";
import { Lexicon } from "./lexicon.js";
import { DEFAULT_TRAIN, LogReg, type SparseVec, type TrainOptions, train } from "./logreg.js";
import { Scope, type ScopeIntent, type ScopeReason } from "./scope.js";
import { SpellIndex } from "./spell.js";

/** The out-of-scope class: an intent like any other, trained on what the desk does not do. */
export const NONE = "none";

export interface IntentExamples {
  id: string;
  examples: { vi: string[]; en: string[] };
}

/**
 * What the out-of-scope decision knows beyond the examples (see `scope.ts`): which others each
 * intent's questions may name, which intents are small talk, and the deployment's own names.
 * Not part of the trained model: it is read from the pack each time a matcher is made.
 */
export interface ScopeOptions {
  intents: Record<string, ScopeIntent>;
  brand: string[];
}

export interface Thresholds {
  /** At or above (with the margin): answer. */
  answer: number;
  /** At or above: offer "did you mean" choices. Below: fallback. */
  clarify: number;
  /** The best intent must lead the second by this much to be answered outright. */
  margin: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { answer: 0.55, clarify: 0.3, margin: 0.15 };

export type Zone = "answer" | "clarify" | "fallback";

export interface Scored {
  intent: string;
  score: number;
}

export interface MatchResult {
  /** The decided intent: `none` in the fallback zone. */
  intent: string;
  /** Probability of the best in-scope intent (in the fallback zone: how sure the fallback is). */
  score: number;
  /** Probability of the out-of-scope class. */
  none: number;
  zone: Zone;
  /** In-scope intents, best first (at most 5). */
  top: Scored[];
  /** Language the message is written in, when it says (undefined for "ok", "HT-000123"…). */
  lang: Lang | undefined;
  /** The message is, word for word, one of the decided intent's examples. */
  exact: boolean;
  /** Why the message is out of scope whatever the scores say (fallback zone only). */
  reason?: ScopeReason;
  /** The part of a long message the decision was made on, when not the whole of it. */
  clause?: string;
}

export interface MatcherOptions {
  thresholds?: Thresholds;
  train?: TrainOptions;
  /** Softmax temperature: > 1 makes scores less confident. */
  temperature?: number;
  scope?: ScopeOptions;
}

/**
 * Intent matcher trained from the content pack at start-up (about a second for the
 * shipped pack). Deterministic: the same pack and options give the same model.
 */
export class Matcher {
  private readonly scope: Scope;

  private constructor(
    private readonly ctx: FeatureContext,
    private readonly index: Map<string, number>,
    private readonly idf: Float32Array,
    private readonly model: LogReg,
    readonly classes: string[],
    /** Word → log-odds that a message using it is English rather than Vietnamese. */
    private readonly langOdds: Map<string, number>,
    readonly thresholds: Thresholds,
    private readonly temperature: number,
    /** Folded example text → its intent, for messages that are exactly an example. */
    private readonly exact: Map<string, string>,
    /** Folded example text → the one language whose examples have it ("hi", "hello": English). */
    private readonly exactLang: Map<string, Lang>,
    private readonly scopeOptions: ScopeOptions | undefined,
    lexiconData: LexiconData | undefined,
  ) {
    const { lexicon, spell } = ctx;
    this.scope = new Scope(
      lexiconData,
      scopeOptions?.brand ?? [],
      (w) => lexicon.has(w) || !!spell?.known(w) || spell?.correct(w) !== undefined,
    );
  }

  static train(intents: IntentExamples[], lexiconData: LexiconData | undefined, opts: MatcherOptions = {}): Matcher {
    const lexicon = new Lexicon(lexiconData);
    const ctx: FeatureContext = { lexicon };
    const classes = intents.map((i) => i.id);
    if (!classes.includes(NONE)) classes.push(NONE);
    const docs: Map<string, number>[] = [];
    const labels: number[] = [];
    const vocab: string[] = [];
    const exact = new Map<string, string>();
    const exactLangs = new Map<string, Set<Lang>>();
    const count = { vi: new Map<string, number>(), en: new Map<string, number>() };
    for (const intent of intents) {
      const label = classes.indexOf(intent.id);
      for (const lang of ["vi", "en"] as const) {
        for (const example of intent.examples[lang]) {
          const k = exactKey(example);
          // An example shared by two intents decides nothing.
          if (exact.has(k) && exact.get(k) !== intent.id) exact.set(k, NONE);
          else exact.set(k, intent.id);
          exactLangs.set(k, (exactLangs.get(k) ?? new Set<Lang>()).add(lang));
          for (const w of tokens(fold(canon(example)))) count[lang].set(w, (count[lang].get(w) ?? 0) + 1);
          for (const variant of variants(example, lexicon)) {
            const a = analyse(variant, ctx);
            vocab.push(...a.folded, ...a.expanded.map((t) => t.replace(/^~/, "")));
            docs.push(featureCounts(a));
            labels.push(label);
          }
        }
      }
    }
    for (const k of lexicon.keys()) vocab.push(k);
    const spell = new SpellIndex(vocab);

    const df = new Map<string, number>();
    for (const d of docs) for (const k of d.keys()) df.set(k, (df.get(k) ?? 0) + 1);
    const index = new Map<string, number>();
    for (const k of df.keys()) index.set(k, index.size);
    const idf = new Float32Array(index.size);
    for (const [k, i] of index) idf[i] = Math.log((docs.length + 1) / ((df.get(k) ?? 0) + 1)) + 1;

    const X = docs.map((d) => vectorize(d, index, idf));
    const model = train(X, labels, index.size, classes.length, opts.train ?? DEFAULT_TRAIN);
    return new Matcher(
      { lexicon, spell },
      index,
      idf,
      model,
      classes,
      languageOdds(count.vi, count.en, lexicon.vietnameseKeys),
      opts.thresholds ?? DEFAULT_THRESHOLDS,
      opts.temperature ?? 1,
      exact,
      new Map([...exactLangs].flatMap(([k, ls]) => (ls.size === 1 ? [[k, [...ls][0] as Lang] as const] : []))),
      opts.scope,
      lexiconData,
    );
  }

  /**
   * The trained model as bytes: a JSON header, then the weights. Saving it lets a restart
   * skip training (seconds for the shipped pack, more than a minute for 500 intents).
   */
  toBuffer(): Buffer {
    const header = {
      v: 2,
      classes: this.classes,
      features: [...this.index.keys()],
      idf: [...this.idf],
      bias: [...this.model.bias],
      langOdds: [...this.langOdds],
      exact: [...this.exact],
      exactLang: [...this.exactLang],
      spell: [...(this.ctx.spell?.frequencies() ?? new Map())],
      temperature: this.temperature,
    };
    const json = Buffer.from(JSON.stringify(header), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    const w = this.model.weights;
    return Buffer.concat([len, json, Buffer.from(w.buffer, w.byteOffset, w.byteLength)]);
  }

  static fromBuffer(
    buf: Buffer,
    lexiconData: LexiconData | undefined,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    scope?: ScopeOptions,
  ): Matcher {
    const n = buf.readUInt32LE(0);
    const h = JSON.parse(buf.subarray(4, 4 + n).toString("utf8")) as {
      v: number;
      classes: string[];
      features: string[];
      idf: number[];
      bias: number[];
      langOdds: [string, number][];
      exact: [string, string][];
      exactLang: [string, Lang][];
      spell: [string, number][];
      temperature: number;
    };
    if (h.v !== 2) throw new Error(`saved matcher version ${h.v} is not supported`);
    const bytes = buf.subarray(4 + n);
    // Copy into an aligned buffer: a Float32Array needs an offset that is a multiple of 4.
    const weights = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(weights.buffer).set(bytes);
    if (weights.length !== h.features.length * h.classes.length) throw new Error("saved matcher is truncated");
    const lexicon = new Lexicon(lexiconData);
    const index = new Map(h.features.map((f, i) => [f, i] as const));
    return new Matcher(
      { lexicon, spell: new SpellIndex(new Map(h.spell)) },
      index,
      Float32Array.from(h.idf),
      new LogReg(h.classes.length, weights, Float32Array.from(h.bias)),
      h.classes,
      new Map(h.langOdds),
      thresholds,
      h.temperature,
      new Map(h.exact),
      new Map(h.exactLang),
      scope,
      lexiconData,
    );
  }

  /**
   * A message's words as the matcher reads them: folded (no diacritics, one case), with
   * teencode and abbreviations expanded and typos corrected, particles left out. Two
   * spellings of one question give (nearly) the same set; the content gaps are grouped by it.
   */
  meaningTokens(input: string): string[] {
    return [...new Set(analyse(clip(input), this.ctx).expanded)].sort();
  }

  /** Probabilities of every class, best first. */
  scores(input: string): Scored[] {
    const p = this.probabilities(analyse(clip(input), this.ctx));
    if (!p) return [{ intent: NONE, score: 1 }];
    return this.classes.map((intent, i) => ({ intent, score: p[i] ?? 0 })).sort((a, b) => b.score - a.score);
  }

  private probabilities(a: Analysed): Float64Array | undefined {
    const x = vectorize(featureCounts(a), this.index, this.idf);
    if (x.idx.length === 0) return undefined;
    return this.model.predict(x, this.temperature);
  }

  // The engine asks for a message's language and then matches it: analyse it once.
  private last?: { text: string; result: MatchResult };

  /**
   * Only the first `MAX_TEXT_CHARS` characters are looked at (the engine refuses longer
   * messages anyway), so the cost of a match is bounded whatever a client sends.
   *
   * A long message whose whole is not answered is scored clause by clause: "…thông báo tài
   * khoản bị khóa. trong đó còn hơn 10 triệu…" is about the locked account, and the story
   * around it should not drown it.
   */
  match(input: string): MatchResult {
    const text = clip(input);
    if (this.last?.text === text) return this.last.result;
    const lang = this.language(text);
    let result = this.decide(text, lang);
    if (result.zone !== "answer" && result.reason === undefined) {
      const part = this.bestClause(text, lang);
      if (part) result = part;
    }
    this.last = { text, result };
    return result;
  }

  private decide(text: string, lang: Lang | undefined): MatchResult {
    const a = analyse(text, this.ctx);
    const p = this.probabilities(a);
    const noneAt = this.classes.indexOf(NONE);
    const none = p ? (p[noneAt] ?? 0) : 1;
    // The five best in-scope intents, without sorting every class (500-intent packs).
    const top: Scored[] = [];
    if (p) {
      for (let i = 0; i < p.length; i++) {
        if (i === noneAt) continue;
        const score = p[i] ?? 0;
        if (top.length === 5 && score <= (top[4]?.score ?? 0)) continue;
        let at = top.length;
        while (at > 0 && (top[at - 1]?.score ?? 0) < score) at--;
        top.splice(at, 0, { intent: this.classes[i] ?? NONE, score });
        if (top.length > 5) top.pop();
      }
    }
    const best = top[0] ?? { intent: NONE, score: 0 };
    const second = top[1]?.score ?? 0;
    const t = this.thresholds;
    const exactly = this.exact.get(exactKey(text));
    const content = this.contentTokens(a);
    let zone: Zone = "fallback";
    if (exactly === best.intent && best.score > none) zone = "answer";
    else if (best.score >= t.answer && best.score - second >= t.margin && best.score > none) zone = "answer";
    // "Did you mean" only when an intent beats `none`, and about words the model knows.
    else if (best.score >= t.clarify && best.score > none && content > 0) zone = "clarify";
    // One word ("tk", "help") says too little to answer outright: offer choices instead
    // (matching.md §8.4), unless that word is itself an example ("hotline", "bye").
    if (zone === "answer" && exactly !== best.intent && content <= 1) zone = "clarify";
    let reason: ScopeReason | undefined;
    if (zone !== "fallback" || this.scope.aimedAtBot(text)) {
      const vietnamese = lang === "vi" || hasVietnameseMarks(text);
      reason = this.scope.judge(text, this.scopeOptions?.intents[best.intent], vietnamese);
      if (reason) zone = "fallback";
    }
    const result: MatchResult = {
      intent: zone === "fallback" ? NONE : best.intent,
      score: zone === "fallback" ? Math.max(none, 1 - best.score) : best.score,
      none,
      zone,
      top,
      lang,
      exact: zone !== "fallback" && exactly === best.intent,
    };
    if (reason) result.reason = reason;
    return result;
  }

  /** The strongest clause (or pair of clauses) of a long message that is answered on its own. */
  private bestClause(text: string, lang: Lang | undefined): MatchResult | undefined {
    if (tokens(text).length < LONG_MESSAGE_WORDS) return undefined;
    const clauses = text
      .split(CLAUSE_BREAK)
      .map((c) => c?.trim() ?? "")
      .filter((c) => tokens(c).length >= 2)
      .slice(0, MAX_CLAUSES);
    if (clauses.length < 2) return undefined;
    const parts = [...clauses];
    for (let i = 0; i + 1 < clauses.length; i++) parts.push(`${clauses[i]}, ${clauses[i + 1]}`);
    let best: MatchResult | undefined;
    for (const part of parts) {
      const r = this.decide(part, lang);
      if (r.zone === "answer" && (!best || r.score > best.score)) best = { ...r, clause: part, exact: false };
    }
    // Whose service it is shows anywhere in the message ("Tiki giao hàng chậm, đơn đâu rồi").
    const vietnamese = lang === "vi" || hasVietnameseMarks(text);
    if (best && this.scope.judge(text, this.scopeOptions?.intents[best.intent], vietnamese)) return undefined;
    return best;
  }

  /** Whether the text uses a phrase of the lexicon's cue list `name` ("new_problem", "insult", "question"). */
  says(name: string, text: string): boolean {
    return this.scope.says(name, clip(text));
  }

  /** Instructions aimed at the bot ("ignore previous instructions"). */
  aimedAtBot(text: string): boolean {
    return this.scope.aimedAtBot(clip(text));
  }

  /** Words that carry meaning the model knows: particles and unknown words ("vip", names) do not count. */
  private contentTokens(a: Analysed): number {
    return a.folded.filter(
      (w) => !this.ctx.lexicon.particles.has(w) && (this.ctx.spell?.known(w) || this.ctx.lexicon.has(w)),
    ).length;
  }

  /**
   * Vietnamese when a Vietnamese-only letter or tone appears; the language of the examples
   * that are the message word for word, when only one language has it; otherwise by the words, each
   * weighed by how much more often one language's examples use it ("hello", "hi" are
   * English even though Vietnamese users type them too). Undefined when the words do not
   * say ("ok", "HT-000123", "2"): the conversation keeps its language.
   */
  language(input: string): Lang | undefined {
    const text = clip(input);
    if (hasVietnameseMarks(text)) return "vi";
    // Word for word an example of one language only ("hi", "hello", "thanks"): that language.
    const exactly = this.exactLang.get(exactKey(text));
    if (exactly) return exactly;
    let odds = 0;
    // Each word once, numbers and particles ("a", "please") aside: repeating a word proves nothing.
    for (const w of new Set(tokens(fold(withPlaceholders(text))))) {
      if (w.startsWith("qq") || /^\d+$/.test(w) || this.ctx.lexicon.particles.has(w)) continue;
      odds += this.langOdds.get(w) ?? 0;
    }
    if (Math.abs(odds) < LANGUAGE_EVIDENCE) return undefined;
    return odds > 0 ? "en" : "vi";
  }
}

/** A message this long whose whole is not answered is scored clause by clause. */
const LONG_MESSAGE_WORDS = 10;
/** The first clauses say what a message is about; scoring is bounded whatever its length. */
const MAX_CLAUSES = 12;
/** Sentence ends, semicolons, commas and "but" separate clauses. */
const CLAUSE_BREAK = /[.!?;\n]+|,|\s(?:nhưng|nhung|but|however)\s/iu;
/** Log-odds a message's words must add up to before they decide its language. */
const LANGUAGE_EVIDENCE = 1;
/** A word counts for a language only when one language uses it this much more (log-odds). */
const LANGUAGE_WORD = 1;

/**
 * Per word, the log-odds that it comes from an English rather than a Vietnamese example,
 * each language's counts taken relative to its size. Words both use about as often say
 * nothing ("ok", "app", "otp", "hotline"); teencode keys of Vietnamese words count as Vietnamese.
 */
function languageOdds(
  vi: Map<string, number>,
  en: Map<string, number>,
  vietnameseKeys: Iterable<string>,
): Map<string, number> {
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0) || 1;
  const nVi = total(vi);
  const nEn = total(en);
  const out = new Map<string, number>();
  for (const w of new Set([...vi.keys(), ...en.keys()])) {
    const odds = Math.log(((en.get(w) ?? 0) + 0.5) / nEn / (((vi.get(w) ?? 0) + 0.5) / nVi));
    if (Math.abs(odds) >= LANGUAGE_WORD) out.set(w, Math.max(-3, Math.min(3, odds)));
  }
  for (const k of vietnameseKeys) if (!en.has(k)) out.set(k, -3);
  return out;
}

function exactKey(text: string): string {
  return tokens(fold(canon(text))).join(" ");
}

function vectorize(counts: Map<string, number>, index: Map<string, number>, idf: Float32Array): SparseVec {
  const idx: number[] = [];
  const val: number[] = [];
  let norm = 0;
  for (const [k, w] of counts) {
    const i = index.get(k);
    if (i === undefined) continue;
    const v = w * (idf[i] ?? 1);
    idx.push(i);
    val.push(v);
    norm += v * v;
  }
  const n = Math.sqrt(norm) || 1;
  return { idx: Int32Array.from(idx), val: Float32Array.from(val.map((v) => v / n)) };
}

/**
 * Training variants of one example (matching.md §9): as written, without diacritics, in
 * teencode, and both, so users who type any of these meet an example that looks like them.
 */
function variants(example: string, lexicon: Lexicon): string[] {
  const c = canon(example);
  const out = new Set<string>([c]);
  const folded = fold(c);
  out.add(folded);
  const short = lexicon.contract(c);
  out.add(short);
  out.add(fold(short));
  return [...out];
}
