import { createInterface } from "node:readline/promises";
import { CliChannel, formatForTerminal, lineEvent } from "../../adapters/cli/index.js";
import { parseCoreEnv } from "../config/env.js";
import { createLogger } from "../config/log.js";
import { buildApp } from "../server/app.js";
import { runCli } from "../shell/run.js";

/**
 * `npm run chat`: talk to the engine in the terminal (channel `cli`), with the same flows,
 * config and store as the server. Quick replies are numbered: type the number to pick one.
 */
async function main(): Promise<void> {
  const env = parseCoreEnv();
  const level = process.env.LOG_LEVEL ? env.LOG_LEVEL : "warn";
  const userId = process.env.CHAT_USER ?? "terminal";
  let printed = 0;
  const turns = new Map<string, (sends: number) => void>();
  const cli = new CliChannel((m) => {
    console.log(formatForTerminal(m));
    printed++;
  });
  const hotro = await buildApp({
    env: { ...env, LOG_LEVEL: level },
    logger: createLogger(level),
    channels: [cli],
    // The server may be running on the same store: only this terminal's conversation is ours.
    recover: false,
    onTurn: (item, jobs) => turns.get(item.key)?.(jobs.filter((j) => j.body.kind === "send").length),
  });
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  console.log(`hotro chat: ${hotro.content.config.brand.name}. Type a message; numbers pick a choice; Ctrl+D quits.`);
  for await (const line of rl) {
    const text = line.trim();
    if (!text) continue;
    if (!process.stdin.isTTY) console.log(`you> ${text}`);
    const event = lineEvent(userId, text);
    const before = printed;
    const sends = new Promise<number>((resolve) => turns.set(event.id, resolve));
    await hotro.runtime.accept([event]);
    // Wait until the turn is processed and each reply it queued has been printed.
    const n = await Promise.race([sends, new Promise<number>((r) => setTimeout(() => r(0), 5000))]);
    const deadline = Date.now() + 5000;
    while (printed - before < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    turns.delete(event.id);
  }
  await hotro.close();
}

runCli("chat", async () => {
  await main();
  return 0;
});
