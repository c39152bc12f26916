import type { Lexicon as LexiconData } from "../content/schema.js";
import type { Lang } from "../ports/vocabulary.js";
import { canon, clip, fold, hasVietnameseMarks, tokens } from "../text/normalize.js";
import { type Analysed, analyse, type FeatureContext, featureCounts, withPlaceholders } from "./features.js";
import { Lexicon } from "./lexicon.js";
import { DEFAULT_TRAIN, LogReg, type SparseVec, type TrainOptions, train } from "./logreg.js";
import { SpellIndex } from "./spell.js";

/** The out-of-scope class: an intent like any other, trained on what the desk does not do. */
export const NONE = "none";

export interface IntentExamples {
  id: string;
  examples: { vi: string[]; en: string[] };
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
  /** Probability of the best in-scope intent. */
  score: number;
  zone: Zone;
  /** In-scope intents, best first (at most 5). */
  top: Scored[];
  /** Language the message is written in, when it says (undefined for "ok", "HT-000123"…). */
  lang: Lang | undefined;
  /** The message is, word for word, one of the decided intent's examples. */
  exact: boolean;
}

export interface MatcherOptions {
  thresholds?: Thresholds;
  train?: TrainOptions;
  /** Softmax temperature: > 1 makes scores less confident. */
  temperature?: number;
}

/**
 * Intent matcher trained from the content pack at start-up (about a second for the
 * shipped pack). Deterministic: the same pack and options give the same model.
 */
export class Matcher {
  private constructor(
    private readonly ctx: FeatureContext,
    private readonly index: Map<string, number>,
    private readonly idf: Float32Array,
    private readonly model: LogReg,
    readonly classes: string[],
    private readonly viWords: Set<string>,
    private readonly enWords: Set<string>,
    readonly thresholds: Thresholds,
    private readonly temperature: number,
    /** Folded example text → its intent, for messages that are exactly an example. */
    private readonly exact: Map<string, string>,
  ) {}

  static train(intents: IntentExamples[], lexiconData: LexiconData | undefined, opts: MatcherOptions = {}): Matcher {
    const lexicon = new Lexicon(lexiconData);
    const ctx: FeatureContext = { lexicon };
    const classes = intents.map((i) => i.id);
    if (!classes.includes(NONE)) classes.push(NONE);
    const docs: Map<string, number>[] = [];
    const labels: number[] = [];
    const vocab: string[] = [];
    const exact = new Map<string, string>();
    const viCount = new Map<string, number>();
    const enCount = new Map<string, number>();
    for (const intent of intents) {
      const label = classes.indexOf(intent.id);
      for (const lang of ["vi", "en"] as const) {
        for (const example of intent.examples[lang]) {
          const k = exactKey(example);
          // An example shared by two intents decides nothing.
          if (exact.has(k) && exact.get(k) !== intent.id) exact.set(k, NONE);
          else exact.set(k, intent.id);
          for (const w of tokens(fold(canon(example)))) {
            const m = lang === "vi" ? viCount : enCount;
            m.set(w, (m.get(w) ?? 0) + 1);
          }
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
    // A token is a language cue only when one language's examples never use it: words
    // both languages share ("ok", "app", "otp", "hotline") say nothing about the reply language.
    const viWords = new Set<string>();
    const enWords = new Set<string>();
    for (const w of viCount.keys()) if (!enCount.has(w)) viWords.add(w);
    for (const w of enCount.keys()) if (!viCount.has(w)) enWords.add(w);
    for (const k of lexicon.vietnameseKeys) if (!enCount.has(k)) viWords.add(k);
    return new Matcher(
      { lexicon, spell },
      index,
      idf,
      model,
      classes,
      viWords,
      enWords,
      opts.thresholds ?? DEFAULT_THRESHOLDS,
      opts.temperature ?? 1,
      exact,
    );
  }

  /**
   * The trained model as bytes: a JSON header, then the weights. Saving it lets a restart
   * skip training (seconds for the shipped pack, more than a minute for 500 intents).
   */
  toBuffer(): Buffer {
    const header = {
      v: 1,
      classes: this.classes,
      features: [...this.index.keys()],
      idf: [...this.idf],
      bias: [...this.model.bias],
      viWords: [...this.viWords],
      enWords: [...this.enWords],
      exact: [...this.exact],
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
  ): Matcher {
    const n = buf.readUInt32LE(0);
    const h = JSON.parse(buf.subarray(4, 4 + n).toString("utf8")) as {
      v: number;
      classes: string[];
      features: string[];
      idf: number[];
      bias: number[];
      viWords: string[];
      enWords: string[];
      exact: [string, string][];
      spell: [string, number][];
      temperature: number;
    };
    if (h.v !== 1) throw new Error(`saved matcher version ${h.v} is not supported`);
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
      new Set(h.viWords),
      new Set(h.enWords),
      thresholds,
      h.temperature,
      new Map(h.exact),
    );
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
   */
  match(input: string): MatchResult {
    const text = clip(input);
    if (this.last?.text === text) return this.last.result;
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
    let zone: Zone = "fallback";
    if (exactly === best.intent && best.score > none) zone = "answer";
    else if (best.score >= t.answer && best.score - second >= t.margin && best.score > none) zone = "answer";
    else if (best.score >= t.clarify) zone = "clarify";
    // One word ("tk", "help") says too little to answer outright: offer choices instead
    // (matching.md §8.4), unless that word is itself an example ("hotline", "bye").
    if (zone === "answer" && exactly !== best.intent && this.contentTokens(a) <= 1) zone = "clarify";
    const result: MatchResult = {
      intent: zone === "fallback" ? NONE : best.intent,
      score: zone === "fallback" ? Math.max(none, 1 - best.score) : best.score,
      zone,
      top,
      lang: this.language(text),
      exact: zone !== "fallback" && exactly === best.intent,
    };
    this.last = { text, result };
    return result;
  }

  /** Words that carry meaning the model knows: particles and unknown words ("vip", names) do not count. */
  private contentTokens(a: Analysed): number {
    return a.folded.filter(
      (w) => !this.ctx.lexicon.particles.has(w) && (this.ctx.spell?.known(w) || this.ctx.lexicon.has(w)),
    ).length;
  }

  /** Vietnamese when a Vietnamese-only letter or tone appears, else by vocabulary cues (first `MAX_TEXT_CHARS` only). */
  language(input: string): Lang | undefined {
    const text = clip(input);
    if (hasVietnameseMarks(text)) return "vi";
    let vi = 0;
    let en = 0;
    for (const w of tokens(fold(withPlaceholders(text)))) {
      if (w.startsWith("qq")) continue;
      if (this.viWords.has(w)) vi++;
      else if (this.enWords.has(w)) en++;
    }
    if (vi === en) return undefined;
    return vi > en ? "vi" : "en";
  }
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
