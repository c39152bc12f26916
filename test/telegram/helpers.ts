import type { Transformer } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { TelegramChannel, type TelegramOptions } from "../../adapters/telegram/index.js";
import { channelDeps } from "../../src/server/server.js";

export const TOKEN = "123456:TEST-token-for-tests";
export const SECRET = "s3cret_webhook-token";

export const botInfo: UserFromGetMe = {
  id: 123456,
  is_bot: true,
  first_name: "HoTro",
  username: "hotro_demo_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

export interface Call {
  method: string;
  payload: Record<string, unknown>;
}

/** A grammY API transformer that records every call and answers like the Bot API would. */
export function recorder(calls: Call[]): Transformer {
  let id = 1000;
  return (async (_prev, method, payload) => {
    calls.push({ method, payload: payload as Record<string, unknown> });
    const p = payload as { chat_id?: number | string; text?: string };
    if (method === "sendMessage" || method === "sendPhoto") {
      return {
        ok: true,
        result: {
          message_id: ++id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(p.chat_id), type: "private" },
          text: p.text,
        },
      };
    }
    return { ok: true, result: true };
  }) as Transformer;
}

/** A Telegram channel for the harness: built once the app's store exists. */
export function telegramFor(extra: Partial<TelegramOptions>, out: { channel?: TelegramChannel }) {
  return (d: Parameters<typeof channelDeps>[0]) => {
    const channel = new TelegramChannel({
      token: TOKEN,
      secret: SECRET,
      mode: "webhook",
      apiRoot: "http://127.0.0.1:9",
      botInfo,
      deps: channelDeps(d),
      pacing: { burst: 50, intervalMs: 10 },
      ...extra,
    });
    out.channel = channel;
    return [channel];
  };
}

let updateId = 5000;
export const nextUpdateId = () => ++updateId;

export function textUpdate(chatId: number, text: string, updateIdValue = nextUpdateId(), firstName = "Minh"): Update {
  return {
    update_id: updateIdValue,
    message: {
      message_id: updateIdValue,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private", first_name: firstName },
      from: { id: chatId, is_bot: false, first_name: firstName, language_code: "vi" },
      text,
    },
  } as Update;
}

export function callbackUpdate(chatId: number, data: string): Update {
  const id = nextUpdateId();
  return {
    update_id: id,
    callback_query: {
      id: `cq${id}`,
      chat_instance: "ci",
      data,
      from: { id: chatId, is_bot: false, first_name: "Minh" },
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: "private", first_name: "Minh" },
        text: "…",
      },
    },
  } as Update;
}
