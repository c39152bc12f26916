import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import type { Content } from "../../src/content/types.js";
import { shippedContent } from "../helpers/content.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import {
  type Call,
  callbackUpdate,
  media,
  nextUpdateId,
  OPS_CHAT,
  recorder,
  SECRET,
  telegramFor,
  textUpdate,
} from "./helpers.js";

/**
 * The Bot API's own features (core.telegram.org/bots/api): a KeyboardButton with
 * `request_contact` when a form asks for a phone number (the shared Contact answers it), and
 * every callback query answered, whatever chat its button was in.
 */

/** A form that asks for a phone number (what a deployment adds to flows/forms.yaml). */
function callbackContent(): Content {
  const c = structuredClone(shippedContent());
  c.flows.forms.callback = {
    fields: [
      {
        id: "phone",
        type: "phone",
        optional: true,
        label: { vi: "Số điện thoại", en: "Phone" },
        prompt: { vi: "Số điện thoại để bên mình gọi lại là gì?", en: "Which number should we call you back on?" },
      },
    ],
    done: { vi: "Mình đã ghi nhận yêu cầu {request_id}.", en: "I've filed request {request_id}." },
  };
  c.flows.intents["callback.request"] = {
    title: { vi: "Gọi lại cho tôi", en: "Call me back" },
    examples: { vi: ["zzq gọi lại cho tôi"], en: ["zzq call me back"] },
    others: [],
    form: "callback",
    suggest: true,
  };
  return c;
}

type Keyboard = {
  keyboard?: { text: string; request_contact?: boolean }[][];
  one_time_keyboard?: boolean;
  remove_keyboard?: boolean;
  inline_keyboard?: unknown[][];
};

describe("Telegram", () => {
  let h: Harness;
  const calls: Call[] = [];
  const out: { channel?: TelegramChannel } = {};
  const post = (body: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(body),
    });
  const sent = (chatId: number) =>
    calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === chatId);
  const idle = async () => {
    const b = h.hotro.backend;
    await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 10_000, "idle");
  };

  beforeAll(async () => {
    h = await harness({
      content: callbackContent(),
      makeChannels: telegramFor({ transformers: [recorder(calls)], operatorsChatId: String(OPS_CHAT) }, out),
    });
  });
  afterAll(() => h.close());

  it("a phone question offers a 'share my phone number' button; the shared contact answers it; the keyboard then goes", async () => {
    const chat = 811;
    await post(callbackUpdate(chat, "intent:callback.request"));
    const [question] = await waitFor(() => (sent(chat).length ? sent(chat) : undefined));
    expect(question?.payload.text).toBe("Số điện thoại để bên mình gọi lại là gì?");
    const markup = (question?.payload.reply_markup ?? {}) as Keyboard;
    // flows/platforms.yaml share_phone_button, then the optional field's skip choice to type back.
    expect(markup.keyboard?.[0]).toEqual([{ text: "📱 Gửi số điện thoại của tôi", request_contact: true }]);
    expect(markup.keyboard?.[1]?.[0]?.text).toBeTruthy();
    expect(markup.one_time_keyboard).toBe(true);
    expect(markup.inline_keyboard).toBeUndefined();

    // The user taps it: Telegram sends their own contact (Message.contact).
    await post(media(chat, { contact: { phone_number: "84903123456", first_name: "Minh", user_id: chat } }));
    await idle();
    const [req] = await h.hotro.backend.requests.list({ conv: `telegram:${chat}` });
    expect(req?.fields).toEqual({ "Số điện thoại": "+84903123456" });
    const after = sent(chat).slice(1);
    expect(after.length).toBeGreaterThan(0);
    // The form's closing words take the contact keyboard away.
    expect((after[0]?.payload.reply_markup as Keyboard | undefined)?.remove_keyboard).toBe(true);
    // And only once.
    await post(textUpdate(chat, "số hotline là gì"));
    await idle();
    const last = sent(chat).at(-1);
    expect((last?.payload.reply_markup as Keyboard | undefined)?.remove_keyboard).toBeUndefined();
  });

  it("the skip choice typed from the keyboard works like the button it stands for", async () => {
    const chat = 812;
    await post(callbackUpdate(chat, "intent:callback.request"));
    const [question] = await waitFor(() => (sent(chat).length ? sent(chat) : undefined));
    const skip = (question?.payload.reply_markup as Keyboard | undefined)?.keyboard?.[1]?.[0]?.text ?? "";
    await post(textUpdate(chat, skip));
    await idle();
    const [req] = await h.hotro.backend.requests.list({ conv: `telegram:${chat}` });
    expect(req?.fields).toEqual({ "Số điện thoại": "—" });
  });

  it("answers callback queries from a group or a channel it does not serve (no spinning button), and acts on none", async () => {
    const elsewhere = (chat: { id: number; type: string }): Update =>
      ({
        update_id: nextUpdateId(),
        callback_query: {
          id: `cq-elsewhere-${chat.id}`,
          chat_instance: "x",
          data: "intent:contact.hotline",
          from: { id: 901, is_bot: false, first_name: "Khách" },
          message: { message_id: 3, date: 0, chat: { ...chat, title: "Nhóm" }, text: "…" },
        },
      }) as unknown as Update;
    const before = calls.length;
    for (const chat of [
      { id: -100777, type: "supergroup" },
      { id: -100778, type: "group" },
      { id: -100779, type: "channel" },
    ]) {
      expect((await post(elsewhere(chat))).statusCode).toBe(200);
    }
    await waitFor(() => calls.slice(before).filter((c) => c.method === "answerCallbackQuery").length === 3);
    expect(
      calls
        .slice(before)
        .filter((c) => c.method === "answerCallbackQuery")
        .map((c) => c.payload.callback_query_id),
    ).toEqual(["cq-elsewhere--100777", "cq-elsewhere--100778", "cq-elsewhere--100779"]);
    await idle();
    expect(calls.slice(before).filter((c) => c.method === "sendMessage")).toEqual([]);
  });
});

describe("the operators' group, when a platform's own inbox has a conversation", () => {
  it("posts the request, then says who has the conversation, in the operators' language (flows/platforms.yaml)", async () => {
    const calls: Call[] = [];
    const out: { channel?: TelegramChannel } = {};
    const h = await harness({
      makeChannels: telegramFor(
        { transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) },
        out,
      ),
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), out.channel as TelegramChannel, d, {
          pacing: { burst: 100, intervalMs: 5 },
        }),
    });
    try {
      // What Messenger's adapter hands over for a standby message (another app owns the thread).
      await h.hotro.runtime.accept([
        {
          id: "telegram:standby-test:1",
          channel: "telegram",
          userId: "9100",
          timestamp: Date.now(),
          kind: "standby",
          text: "đơn hàng của mình bị treo",
          meta: { inbox: "Page Inbox", inbox_new: "1" },
        },
      ]);
      const group = () => calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === OPS_CHAT);
      await waitFor(() => group().length === 2, 10_000, "the card and the notice");
      expect(String(group()[0]?.payload.text)).toContain("đơn hàng của mình bị treo");
      expect(group()[1]?.payload.text).toBe(
        "ℹ️ Page Inbox đang giữ cuộc trò chuyện này: người dùng nhắn gì cũng hiện ở đây, bot không trả lời. Trả lời trong chủ đề này (hoặc trên console) sẽ lấy lại cuộc trò chuyện.",
      );
      expect(calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === 9100)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
