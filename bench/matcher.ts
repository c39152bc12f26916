import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContentOrThrow } from "../src/content/load.js";
import { DEFAULT_TRAIN } from "../src/nlu/logreg.js";
import { Matcher } from "../src/nlu/matcher.js";
import { TEXTS } from "./lib/bodies.js";
import { ROOT } from "./lib/proc.js";
import { referenceOp } from "./lib/reference.js";
import { synthPack } from "./lib/synth-pack.js";

/**
 * The matcher (run by bench/run.ts in its own pinned process with --expose-gc; prints one
 * JSON line): µs per message for `match` (and its parts: `scores`, `language`) with the
 * shipped pack and with a generated 500-intent pack, training time, and the memory the
 * trained model holds (V8 heap and typed-array buffers, after GC).
 *
 * Scoring cost does not depend on how long the model trained (the weights are dense), so
 * the 500-intent pack is trained with 3 epochs by default and its 30-epoch training time
 * extrapolated from a 1-epoch and the 3-epoch training (linear in epochs); `--full-train`
 * trains it as shipped.
 */

const quick = process.argv.includes("--quick");
const fullTrain = process.argv.includes("--full-train");
const gc = (globalThis as { gc?: () => void }).gc;

function memory() {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external };
}

/** µs per call of `fn` over `texts`, repeated until `minMs` has passed (after a warm-up pass). */
function perMessage(texts: string[], fn: (t: string) => unknown, minMs: number): number {
  for (const t of texts) fn(t);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (const t of texts) fn(t);
    n += texts.length;
  }
  return ((performance.now() - t0) * 1000) / n;
}

function measure(m: Matcher, texts: string[], minMs: number) {
  return {
    usPerMessage: perMessage(texts, (t) => m.match(t), minMs),
    scoresUs: perMessage(texts, (t) => m.scores(t), minMs / 2),
    languageUs: perMessage(texts, (t) => m.language(t), minMs / 4),
  };
}

const mb = (bytes: number) => Math.round((bytes / 1e6) * 10) / 10;

/**
 * 4,096-character messages built to make a backtracking regex or NFKC blow up (issue 12,
 * §5a: "a." and digit runs against the e-mail pattern, ㎉ growing four times in NFKC).
 * They should cost about what a long ordinary message costs.
 */
const to4096 = (u: string) => u.repeat(Math.ceil(4096 / u.length)).slice(0, 4096);
const ADVERSARIAL = ["a.", "1", "㎉", "a@", "a1_"].map(to4096);
const ORDINARY_4096 = ["tài khoản của mình bị khoá rồi ", "chuyển tiền mà chưa nhận được "].map(to4096);

function main(): void {
  const minMs = quick ? 300 : 1500;
  const reference = referenceOp();
  const content = loadContentOrThrow({ configDir: join(ROOT, "config"), flowsDir: join(ROOT, "flows") });
  const lexicon = content.flows.lexicon;
  const mc = content.config.matcher;
  const thresholds = { answer: mc.answer_threshold, clarify: mc.clarify_threshold, margin: mc.margin };

  // Shipped pack: the held-out set's messages (in the repository) plus the benchmark's texts.
  const dev = readFileSync(join(ROOT, "test/eval/heldout.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text);
  const shippedTexts = [...dev, ...TEXTS];
  const intents = Object.entries(content.flows.intents).map(([id, i]) => ({ id, examples: i.examples }));
  const before = memory();
  let t0 = performance.now();
  const shipped = Matcher.train(intents, lexicon, { thresholds });
  const shippedTrainMs = performance.now() - t0;
  const after = memory();
  const shippedResult = {
    intents: shipped.classes.length,
    examples: intents.reduce((n, i) => n + i.examples.vi.length + i.examples.en.length, 0),
    messages: shippedTexts.length,
    trainMs: Math.round(shippedTrainMs),
    heapMB: mb(after.heapUsed - before.heapUsed),
    arrayBuffersMB: mb(after.arrayBuffers - before.arrayBuffers),
    ...measure(shipped, shippedTexts, minMs),
    /** The same model on ADVERSARIAL, and on ordinary Vietnamese of the same length. */
    adversarial4096Us: perMessage(ADVERSARIAL, (t) => shipped.match(t), minMs / 4),
    ordinary4096Us: perMessage(ORDINARY_4096, (t) => shipped.match(t), minMs / 4),
  };

  // Generated pack: 500 intents × 10 examples.
  const pack = synthPack(500, 10);
  const epochs = fullTrain ? DEFAULT_TRAIN.epochs : quick ? 1 : 3;
  // Training time is a fixed part (analysis, vocabulary, spelling index) plus a part per
  // epoch: a 1-epoch training next to the measured one separates them.
  let oneEpochMs: number | undefined;
  if (epochs > 1 && !fullTrain) {
    t0 = performance.now();
    Matcher.train(pack.intents, lexicon, { thresholds, train: { ...DEFAULT_TRAIN, epochs: 1 } });
    oneEpochMs = performance.now() - t0;
  }
  const before2 = memory();
  t0 = performance.now();
  const synth = Matcher.train(pack.intents, lexicon, { thresholds, train: { ...DEFAULT_TRAIN, epochs } });
  const synthTrainMs = performance.now() - t0;
  const after2 = memory();
  const perEpoch = oneEpochMs === undefined ? synthTrainMs / epochs : (synthTrainMs - oneEpochMs) / (epochs - 1);
  const fixed = oneEpochMs === undefined ? 0 : oneEpochMs - perEpoch;
  const at30 = fullTrain ? synthTrainMs : fixed + perEpoch * DEFAULT_TRAIN.epochs;
  let correct = 0;
  for (const t of pack.tests) if (synth.match(t.text).top[0]?.intent === t.intent) correct++;
  const synthResult = {
    intents: synth.classes.length,
    examples: pack.intents.reduce((n, i) => n + i.examples.vi.length + i.examples.en.length, 0),
    messages: pack.tests.length,
    epochs,
    trainMs: Math.round(synthTrainMs),
    trainMsPerEpoch: Math.round(perEpoch),
    /** Measured with --full-train; else fixed part + 30 × per-epoch (quick: an upper bound). */
    trainMsAt30Epochs: Math.round(at30),
    heapMB: mb(after2.heapUsed - before2.heapUsed),
    arrayBuffersMB: mb(after2.arrayBuffers - before2.arrayBuffers),
    top1: Math.round((correct / pack.tests.length) * 1000) / 1000,
    ...measure(
      synth,
      pack.tests.map((t) => t.text),
      minMs,
    ),
  };
  // Keep both models alive until measured.
  if (!shipped.classes.length || !synth.classes.length) throw new Error("no classes");
  console.log(
    JSON.stringify({
      reference,
      shipped: shippedResult,
      synthetic: synthResult,
      shippedTimesReference: Math.round((shippedResult.usPerMessage / reference.usPerOp) * 10) / 10,
      syntheticTimesReference: Math.round((synthResult.usPerMessage / reference.usPerOp) * 10) / 10,
    }),
  );
}

main();
