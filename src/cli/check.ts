import { EnvError, parseCoreEnv } from "../config/env.js";
import { learnedPath } from "../content/learned.js";
import { loadContent } from "../content/load.js";
import { formatProblem } from "../content/types.js";
import { runCli } from "../shell/run.js";

/** `npm run check`: validate config/ and flows/, print every problem as `file:line: message`. */
function main(): number {
  let dirs: { configDir: string; flowsDir: string; learnedFile?: string | undefined } = {
    configDir: "./config",
    flowsDir: "./flows",
  };
  try {
    const env = parseCoreEnv();
    // The examples leads added in the console (DATA_DIR/learned.yaml) are checked with the pack.
    dirs = { configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR, learnedFile: learnedPath(env.DATA_DIR) };
  } catch (err) {
    if (err instanceof EnvError) {
      for (const p of err.problems) console.error(`environment: ${p}`);
      return 1;
    }
    throw err;
  }
  const { content, problems } = loadContent(dirs);
  for (const p of problems) console.error(formatProblem(p));
  if (!content || problems.length > 0) {
    console.error(`${problems.length} problem(s) found`);
    return 1;
  }
  const intents = Object.keys(content.flows.intents).length;
  const examples = Object.values(content.flows.intents).reduce(
    (n, i) => n + i.examples.vi.length + i.examples.en.length,
    0,
  );
  console.log(
    `ok: ${intents} intents (${examples} examples), ${Object.keys(content.flows.forms).length} forms, ${content.config.channels.length} channels`,
  );
  return 0;
}

runCli("check", main);
