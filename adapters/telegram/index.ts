import type { OperatorsPort } from "../../src/ports/operators.js";
import { type ChannelModule, type DeskDeps, missing } from "../module.js";
import { TelegramChannel, type TelegramOptions } from "./channel.js";
import { type TelegramEnv, telegramEnv } from "./env.js";
import { TelegramOperators, type TelegramOperatorsOptions } from "./operators.js";

function off(env: TelegramEnv): string | undefined {
  return missing(
    env,
    env.TELEGRAM_MODE === "polling" ? ["TELEGRAM_BOT_TOKEN"] : ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"],
  );
}

/** Telegram: the bot token, and the webhook secret unless TELEGRAM_MODE=polling. */
export const telegram: ChannelModule<typeof telegramEnv> = {
  id: "telegram",
  env: telegramEnv,
  off,
  create: (env, deps) => build(env, deps),
  desk: (env, adapter, d) => {
    if (!env.OPERATORS_TELEGRAM_CHAT_ID || !(adapter instanceof TelegramChannel)) return undefined;
    d.log.info({ chat: env.OPERATORS_TELEGRAM_CHAT_ID }, "operators: escalations also go to the Telegram group");
    return telegramOperators(env.OPERATORS_TELEGRAM_CHAT_ID, adapter, d);
  },
};

/**
 * The operators' group rides on the Telegram channel (same bot, same webhook): updates from
 * that chat are operator actions, recorded and processed like any event.
 */
export function telegramOperators(
  chatId: string,
  telegram: TelegramChannel,
  d: DeskDeps,
  extra: Partial<TelegramOperatorsOptions> = {},
): OperatorsPort {
  const ops = new TelegramOperators({
    api: telegram.bot.api,
    chatId,
    botId: () => {
      try {
        return telegram.bot.botInfo.id;
      } catch {
        return undefined;
      }
    },
    requests: d.backend.requests,
    kv: d.backend.kv,
    // Read at each use: a content reload reaches the group's texts too.
    get content() {
      return d.content;
    },
    log: d.log,
    nameOf: (channel, userId) => d.channels.get(channel)?.displayName?.(userId) ?? Promise.resolve(undefined),
    channelName: (channel) => d.channels.get(channel)?.name ?? channel,
    ...(d.media ? { media: d.media } : {}),
    source: (a) => telegram.mediaSource(a),
    ...extra,
  });
  telegram.onOperators = (u) => d.runtime.acceptOps(u, `telegram:update:${u.update_id}`);
  return ops;
}

function build(env: TelegramEnv, deps: TelegramOptions["deps"], extra: Partial<TelegramOptions> = {}): TelegramChannel {
  const o: TelegramOptions = {
    token: env.TELEGRAM_BOT_TOKEN ?? "",
    mode: env.TELEGRAM_MODE,
    apiRoot: env.TELEGRAM_API_ROOT,
    deps,
    ...extra,
  };
  if (env.TELEGRAM_WEBHOOK_SECRET) o.secret = env.TELEGRAM_WEBHOOK_SECRET;
  if (env.OPERATORS_TELEGRAM_CHAT_ID) o.operatorsChatId = env.OPERATORS_TELEGRAM_CHAT_ID;
  return new TelegramChannel(o);
}

/** The Telegram channel when the environment enables it (tests pass options on top). */
export function createTelegramChannel(
  env: TelegramEnv,
  deps: TelegramOptions["deps"],
  extra: Partial<TelegramOptions> = {},
): TelegramChannel | undefined {
  return off(env) ? undefined : build(env, deps, extra);
}
