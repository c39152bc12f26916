import { readFileSync } from "node:fs";
import { parseCoreEnv } from "../config/env.js";
import { loadContent } from "../content/load.js";
import { formatProblem } from "../content/types.js";
import { mulberry32 } from "../nlu/logreg.js";
import { NONE } from "../nlu/matcher.js";
import { matcherFor } from "../nlu/train.js";
import { runCli } from "../shell/run.js";
import { canon, fold } from "../text/normalize.js";

/**
 * `npm run eval -- <file.jsonl>…`: accuracy of the matcher on labelled lines
 * (`{"text": …, "intent": …}`, several files measured as one set), as typed and in harder
 * views (matching.md §9): without diacritics, decomposed Unicode, and "noisy" (teencode
 * substitutions plus one random typo). "Answered, precision" counts in-scope lines;
 * "every answer" also counts an answer given to an out-of-scope line as a wrong one.
 */
const TEENCODE: [RegExp, string][] = [
  [/\btài khoản\b/giu, "tk"],
  [/\bmật khẩu\b/giu, "mk"],
  [/\bkhông\b/giu, "ko"],
  [/\bđược\b/giu, "dc"],
  [/\bgiao dịch\b/giu, "gd"],
  [/\bsố điện thoại\b/giu, "sdt"],
  [/\bnhân viên\b/giu, "nv"],
  [/\bgì\b/giu, "j"],
  [/\bvậy\b/giu, "v"],
  [/\brồi\b/giu, "r"],
];

function noisy(text: string, rand: () => number): string {
  let t = text;
  for (const [re, short] of TEENCODE) t = t.replace(re, short);
  t = fold(canon(t));
  const words = t.split(" ");
  const candidates = words.map((w, i) => [w, i] as const).filter(([w]) => w.length >= 5);
  if (candidates.length > 0) {
    const [w, i] = candidates[Math.floor(rand() * candidates.length)] ?? ["", 0];
    const at = 1 + Math.floor(rand() * (w.length - 2));
    words[i] = w.slice(0, at) + w.slice(at + 1); // drop one letter
  }
  return words.join(" ");
}

function main(): number {
  const files = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    console.error("usage: npm run eval -- <labelled.jsonl>… [--verbose]");
    return 2;
  }
  const env = parseCoreEnv();
  const { content, problems } = loadContent({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR });
  if (!content) {
    for (const p of problems) console.error(formatProblem(p));
    return 1;
  }
  const matcher = matcherFor(content);
  const rows = files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { text: string; intent: string }),
  );
  const rand = mulberry32(42);
  const views: [string, (t: string) => string][] = [
    ["as typed", (t) => t],
    ["no diacritics", (t) => fold(t)],
    ["NFD", (t) => t.normalize("NFD")],
    ["noisy", (t) => noisy(t, rand)],
  ];
  const verbose = process.argv.includes("--verbose");
  for (const [name, view] of views) {
    let inScope = 0;
    let inOk = 0;
    let top3 = 0;
    let answered = 0;
    let answeredOk = 0;
    let clarified = 0;
    let oos = 0;
    let oosOk = 0;
    let oosAnswered = 0;
    for (const r of rows) {
      const shown = view(r.text);
      const m = matcher.match(shown);
      const said = m.zone === "fallback" ? NONE : (m.top[0]?.intent ?? NONE);
      if (r.intent === NONE) {
        oos++;
        if (m.zone === "answer") oosAnswered++;
        if (said === NONE) oosOk++;
        else if (verbose) console.log(`  [${name}] none → ${said} (${m.zone} ${m.score.toFixed(2)}): ${shown}`);
        continue;
      }
      inScope++;
      if (said === r.intent) inOk++;
      else if (verbose)
        console.log(`  [${name}] ${r.intent} → ${said} (${m.zone} ${m.score.toFixed(2)}): ${view(r.text)}`);
      if (m.top.slice(0, 3).some((t) => t.intent === r.intent)) top3++;
      if (m.zone === "answer") {
        answered++;
        if (m.intent === r.intent) answeredOk++;
      }
      if (m.zone === "clarify") clarified++;
    }
    const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "-");
    console.log(
      `${name.padEnd(14)} in-scope ${pct(inOk, inScope)} (${inOk}/${inScope})  top-3 ${pct(top3, inScope)}  ` +
        `answered ${pct(answered, inScope)} at precision ${pct(answeredOk, answered)}  clarify ${pct(clarified, inScope)}  ` +
        `none→none ${pct(oosOk, oos)} (${oosOk}/${oos})  every answer right ${pct(answeredOk, answered + oosAnswered)} ` +
        `(${oosAnswered} out-of-scope answered)`,
    );
  }
  return 0;
}

runCli("eval", main);
