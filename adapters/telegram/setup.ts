import { createHash } from "node:crypto";
import { Bot } from "grammy";
import { parseEnvWith } from "../../src/config/env.js";
import { createLogger } from "../../src/config/log.js";
import { loadContentOrThrow } from "../../src/content/load.js";
import { runCli } from "../../src/shell/run.js";
import { backendFor } from "../../src/store/select.js";
import { ALLOWED_UPDATES } from "./channel.js";
import { telegramEnv } from "./env.js";

/** Where the last registration's fingerprint is kept (the deployment's shared store). */
const FINGERPRINT_KEY = "tg:webhook:fingerprint";

/**
 * `npm run telegram:webhook -- <public base url>`: register the webhook with the secret and
 * the update types the bot handles, and the "/" commands menu (from flows/commands.yaml, in
 * Vietnamese and English). Telegram's getWebhookInfo does not show the secret, so the
 * command keeps a fingerprint of what it last set (URL, secret, update types, menu) in the
 * shared store: a rotated TELEGRAM_WEBHOOK_SECRET is sent again, and an unchanged setting is
 * left alone (calling setWebhook at every start is how other bots got rate-limited into
 * crash loops).
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
  const content = loadContentOrThrow({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR });
  const backend = backendFor(env, createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : "warn"), content.config);
  try {
    const url = `${base.replace(/\/+$/, "")}/webhooks/telegram`;
    const menu = content.flows.commands.telegram_menu;
    const fingerprint = createHash("sha256")
      .update(JSON.stringify([url, env.TELEGRAM_WEBHOOK_SECRET, [...ALLOWED_UPDATES], menu]))
      .digest("hex");
    const bot = new Bot(env.TELEGRAM_BOT_TOKEN, { client: { apiRoot: env.TELEGRAM_API_ROOT } });
    const info = await bot.api.getWebhookInfo();
    const wanted = [...ALLOWED_UPDATES].sort().join(",");
    const current = [...(info.allowed_updates ?? [])].sort().join(",");
    const same = info.url === url && current === wanted && (await backend.kv.get(FINGERPRINT_KEY)) === fingerprint;
    if (same) {
      console.log(`webhook already set to ${url} (${info.pending_update_count} pending): nothing to do`);
      if (info.last_error_message) console.log(`last delivery error: ${info.last_error_message}`);
      return 0;
    }
    await bot.api.setWebhook(url, { secret_token: env.TELEGRAM_WEBHOOK_SECRET, allowed_updates: [...ALLOWED_UPDATES] });
    if (menu.length) {
      const commands = (lang: "vi" | "en") =>
        menu.map((m) => ({ command: m.command, description: m.description[lang] }));
      // Vietnamese for everyone, English for users whose Telegram is in English.
      await bot.api.setMyCommands(commands("vi"));
      await bot.api.setMyCommands(commands("en"), { language_code: "en" });
    }
    await backend.kv.set(FINGERPRINT_KEY, fingerprint);
    console.log(`webhook set to ${url} for ${wanted}${menu.length ? `, with a menu of ${menu.length} commands` : ""}`);
    return 0;
  } finally {
    await backend.close();
  }
}

runCli("telegram:webhook", main);
