import { createInterface } from "node:readline";
import { parseCoreEnv } from "../config/env.js";
import { loadContent } from "../content/load.js";
import { formatProblem } from "../content/types.js";
import { matcherFor } from "../nlu/train.js";
import { runCli } from "../shell/run.js";

/**
 * `npm run classify`: one message per line on stdin → one JSON object per line on stdout.
 * Lines may also be JSON objects with a `text` field (so a labelled eval file can be piped in).
 */
async function main(): Promise<number> {
  const env = parseCoreEnv();
  const { content, problems } = loadContent({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR });
  if (!content) {
    for (const p of problems) console.error(formatProblem(p));
    return 1;
  }
  const matcher = matcherFor(content);
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    let text = line;
    if (line.startsWith("{")) {
      try {
        const obj = JSON.parse(line) as { text?: unknown };
        if (typeof obj.text === "string") text = obj.text;
      } catch {
        // not JSON after all: classify the line as written
      }
    }
    const m = matcher.match(text);
    // In the clarify zone the user is offered the best intent as a choice: that is what it reports.
    const intent = m.zone === "fallback" ? "none" : (m.top[0]?.intent ?? "none");
    const score = m.zone === "fallback" ? m.score : (m.top[0]?.score ?? 0);
    process.stdout.write(`${JSON.stringify({ text, intent, score: Math.round(score * 1000) / 1000, zone: m.zone })}\n`);
  }
  return 0;
}

runCli("classify", main);
