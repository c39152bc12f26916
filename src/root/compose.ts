import { createMessengerChannel } from "../../adapters/messenger/index.js";
import { createTelegramChannel, type TelegramChannel } from "../../adapters/telegram/index.js";
import { TelegramOperators, type TelegramOperatorsOptions } from "../../adapters/telegram/operators.js";
import { createWebchatChannel } from "../../adapters/webchat/index.js";
import { createZaloChannel } from "../../adapters/zalo/index.js";
import type { Env } from "../config/env.js";
import type { ChannelAdapter, ChannelDeps } from "../ports/channel.js";
import type { OperatorsPort } from "../ports/operators.js";
import { type AppDeps, buildApp, type Hotro } from "../server/app.js";
import { operatorApi } from "../server/operator-api.js";

/** What adapters get from the app: the log, the shared store and the deployment-wide lock. */
export function channelDeps(d: AppDeps): ChannelDeps {
  return {
    log: d.log,
    kv: d.backend.kv,
    withLock: (n, ttl, fn) => d.backend.withLock(n, ttl, fn),
    bus: d.backend.bus,
  };
}

/** Every channel the environment enables, each given the shared store and lock. */
export function channelsFromEnv(env: Env, d: AppDeps): ChannelAdapter[] {
  const deps = channelDeps(d);
  const out: ChannelAdapter[] = [];
  for (const c of [
    createTelegramChannel(env, deps),
    createMessengerChannel(env, deps),
    createZaloChannel(env, deps),
    createWebchatChannel(env, deps, d.content),
  ]) {
    if (c) out.push(c);
  }
  return out;
}

/**
 * The operators' group rides on the Telegram channel (same bot, same webhook): updates from
 * that chat are operator actions, recorded and processed like any event.
 */
export function telegramOperators(
  chatId: string,
  telegram: TelegramChannel,
  d: AppDeps,
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
    content: d.content,
    log: d.log,
    nameOf: (channel, userId) => d.channels.get(channel)?.displayName?.(userId) ?? Promise.resolve(undefined),
    ...extra,
  });
  telegram.onOperators = (u) => d.runtime.acceptOps(u, `telegram:update:${u.update_id}`);
  return ops;
}

/**
 * The production wiring: the app plus every channel the environment enables. Kept apart
 * from `buildApp` so tests can mount exactly the adapters they exercise.
 */
export async function buildServer(env: Env): Promise<Hotro> {
  let telegram: TelegramChannel | undefined;
  return buildApp({
    env,
    makeChannels: (d) => {
      const list = channelsFromEnv(env, d);
      telegram = list.find((c): c is TelegramChannel => c.id === "telegram");
      return list;
    },
    makeOperators: (d) => {
      if (!env.OPERATORS_TELEGRAM_CHAT_ID) return undefined;
      if (!telegram) {
        d.log.warn(
          "operators disabled: the operators' group needs the Telegram channel (TELEGRAM_BOT_TOKEN and its webhook secret or polling)",
        );
        return undefined;
      }
      d.log.info({ chat: env.OPERATORS_TELEGRAM_CHAT_ID }, "operators: escalations go to the Telegram group");
      return telegramOperators(env.OPERATORS_TELEGRAM_CHAT_ID, telegram, d);
    },
    plugins: [operatorApi],
  });
}
