import { Bot } from "grammy";
import { parseEnvWith } from "../../src/config/env.js";
import { runCli } from "../../src/shell/run.js";
import { ALLOWED_UPDATES } from "./channel.js";
import { telegramEnv } from "./env.js";

/**
 * `npm run telegram:webhook -- <public base url>`: register the webhook with the secret and
 * the update types the bot handles. Does nothing when it is already set that way: calling
 * setWebhook at every start is how other bots got rate-limited into crash loops.
 */
async function main(): Promise<number> {
  const env = parseEnvWith(telegramEnv);
  const base = process.argv[2];
  if (!base || !/^https:\/\//.test(base)) {
    console.error("usage: npm run telegram:webhook -- https://your.public.host  (Telegram requires HTTPS)");
    return 2;
  }
  if (!env.TELEGRAM_BOT_TOKEN || !env.TELEGRAM_WEBHOOK_SECRET) {
    console.error("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first");
    return 2;
  }
  const url = `${base.replace(/\/+$/, "")}/webhooks/telegram`;
  const bot = new Bot(env.TELEGRAM_BOT_TOKEN, { client: { apiRoot: env.TELEGRAM_API_ROOT } });
  const info = await bot.api.getWebhookInfo();
  const wanted = [...ALLOWED_UPDATES].sort().join(",");
  const current = [...(info.allowed_updates ?? [])].sort().join(",");
  if (info.url === url && current === wanted) {
    console.log(`webhook already set to ${url} (${info.pending_update_count} pending): nothing to do`);
    if (info.last_error_message) console.log(`last delivery error: ${info.last_error_message}`);
    return 0;
  }
  await bot.api.setWebhook(url, { secret_token: env.TELEGRAM_WEBHOOK_SECRET, allowed_updates: [...ALLOWED_UPDATES] });
  console.log(`webhook set to ${url} for ${wanted}`);
  return 0;
}

runCli("telegram:webhook", main);
