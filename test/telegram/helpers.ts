import type { Transformer } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { TelegramChannel, type TelegramOptions } from "../../adapters/telegram/channel.js";
import { channelDeps } from "../../src/root/compose.js";

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
export function recorder(calls: Call[], opts: { forum?: boolean } = {}): Transformer {
  let id = 1000;
  let thread = 70;
  return (async (_prev, method, payload) => {
    calls.push({ method, payload: payload as Record<string, unknown> });
    const p = payload as { chat_id?: number | string; text?: string; name?: string };
    if (method === "sendMessage" || method === "sendPhoto" || method === "sendDocument") {
      const result = {
        message_id: ++id,
        date: Math.floor(Date.now() / 1000),
        chat: { id: Number(p.chat_id), type: "private" },
        text: p.text,
      };
      calls[calls.length - 1] = {
        method,
        payload: { ...(payload as Record<string, unknown>), _message_id: result.message_id },
      };
      return { ok: true, result };
    }
    if (method === "getChat") {
      return {
        ok: true,
        result: { id: Number(p.chat_id), type: "supergroup", title: "Ops", is_forum: opts.forum ?? true },
      };
    }
    if (method === "createForumTopic")
      return { ok: true, result: { message_thread_id: ++thread, name: p.name, icon_color: 0x6fb9f0 } };
    return { ok: true, result: true };
  }) as Transformer;
}

export const OPS_CHAT = -1001234;
let opsMessageId = 500;

/** A message an operator writes in the group: in a topic, or as a reply to a bot message. */
export function operatorUpdate(
  text: string,
  where: { threadId?: number; replyTo?: number },
  from = { id: 555, first_name: "Lan" },
): Update {
  const id = nextUpdateId();
  const message: Record<string, unknown> = {
    message_id: ++opsMessageId,
    date: Math.floor(Date.now() / 1000),
    chat: { id: OPS_CHAT, type: "supergroup", title: "Ops", is_forum: where.threadId !== undefined },
    from: { ...from, is_bot: false },
    text,
  };
  if (where.threadId !== undefined) {
    message.message_thread_id = where.threadId;
    message.is_topic_message = true;
    // Telegram marks every topic message as a reply to the topic's creation message.
    message.reply_to_message = {
      message_id: where.threadId,
      date: 0,
      chat: message.chat,
      forum_topic_created: { name: "x", icon_color: 0 },
    };
  }
  if (where.replyTo !== undefined)
    message.reply_to_message = { message_id: where.replyTo, date: 0, chat: message.chat, text: "…" };
  return { update_id: id, message } as unknown as Update;
}

export function operatorButton(data: string, from = { id: 555, first_name: "Lan" }): Update {
  const id = nextUpdateId();
  return {
    update_id: id,
    callback_query: {
      id: `ops${id}`,
      chat_instance: "ops",
      data,
      from: { ...from, is_bot: false },
      message: { message_id: 1, date: 0, chat: { id: OPS_CHAT, type: "supergroup", title: "Ops" }, text: "card" },
    },
  } as unknown as Update;
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

/** A file as Telegram describes photos and documents (`PhotoSize`, `Document`). */
export function file(id: string) {
  return { file_id: id, file_unique_id: `u${id}`, width: 90, height: 90 };
}

/** A private message from `chat` with the given media fields (photo, document, contact, location…). */
export function media(chat: number, fields: Record<string, unknown>): Update {
  const id = nextUpdateId();
  return {
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "Minh" },
      from: { id: chat, is_bot: false, first_name: "Minh", language_code: "vi" },
      ...fields,
    },
  } as unknown as Update;
}
