import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import type { Content } from "../../src/content/types.js";
import { type ChannelFixtures, type ChannelRig, refuse, type Sent } from "../contracts/channel.contract.js";
import { FakePlatform, type Recorded } from "../helpers/fake-platform.js";
import { harness } from "../helpers/harness.js";
import { callbackUpdate, file, media, SECRET, TOKEN, telegramFor, textUpdate } from "./helpers.js";

/** The Bot API methods that show a user something. */
const SHOWS = new Set([`/bot${TOKEN}/sendMessage`, `/bot${TOKEN}/sendPhoto`]);
/** Longer than the 1 s `retry_after` below, which grammY waits out inside the call. */
const CALL_TIMEOUT_MS = 2_000;

type Body = {
  chat_id?: number | string;
  text?: string;
  photo?: string;
  reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] };
};

/** Updates as the Bot API documents them (test/telegram/helpers.ts). */
export const telegramFixtures: ChannelFixtures = {
  text: (user, text) => textUpdate(Number(user), text),
  postback: (user, payload) => callbackUpdate(Number(user), payload),
  start: (user) => textUpdate(Number(user), "/start from_fanpage"),
  attachment: (user) => media(Number(user), { caption: "ảnh lỗi", photo: [file("small"), file("large")] }),
};

let chats = 930_000;

/** The Telegram channel in the app, webhook mode, grammY's real client against a local Bot API. */
export async function telegramRig(content: Content): Promise<ChannelRig> {
  const api = new FakePlatform();
  const refused = new Set<Recorded>();
  await api.start((r) =>
    SHOWS.has(r.path)
      ? {
          body: {
            ok: true,
            result: { message_id: r.at % 1_000_000, date: 0, chat: { id: Number((r.body as Body).chat_id) } },
          },
        }
      : { body: { ok: true, result: true } },
  );
  const out: { channel?: TelegramChannel } = {};
  const h = await harness({
    content,
    makeChannels: telegramFor({ apiRoot: api.url, callTimeoutMs: CALL_TIMEOUT_MS }, out),
  });
  const adapter = out.channel;
  if (!adapter) throw new Error("no Telegram channel");
  const to = (user: string) => (r: Recorded) => SHOWS.has(r.path) && String((r.body as Body).chat_id) === user;
  return {
    h,
    adapter,
    // Bot API `sendMessage`: "1-4096 characters after entities parsing" (no limit on keyboard buttons).
    limits: { text: 4096 },
    user: async () => String(++chats),
    async deliver(payload, opts = {}) {
      const res = await h.hotro.app.inject({
        method: "POST",
        url: "/webhooks/telegram",
        headers: {
          "content-type": "application/json",
          "x-telegram-bot-api-secret-token": opts.forged ? "not-the-secret" : SECRET,
        },
        payload: JSON.stringify(payload),
      });
      return res.statusCode;
    },
    sent: (user) =>
      api.requests.filter(to(user)).map((r): Sent => {
        const b = r.body as Body;
        const keyboard = b.reply_markup?.inline_keyboard?.flat() ?? [];
        const s: Sent = {
          at: r.at,
          ok: !refused.has(r),
          quickReplies: keyboard.filter((k) => k.callback_data !== undefined).map((k) => k.text),
        };
        if (b.text !== undefined) s.text = b.text;
        if (b.photo !== undefined) s.image = b.photo;
        return s;
      }),
    fail(user, how) {
      if (how === "rate_limited") {
        refuse(api, refused, to(user), {
          status: 429,
          body: {
            ok: false,
            error_code: 429,
            description: "Too Many Requests: retry after 1",
            parameters: { retry_after: 1 },
          },
        });
        return { waitMs: 1_000 };
      }
      if (how === "permanent") {
        const blocked = { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" };
        refuse(api, refused, to(user), { status: 403, body: blocked }, 100);
        return { waitMs: 0 };
      }
      refuse(api, refused, to(user), { delayMs: 5_000, body: { ok: true, result: true } });
      return { waitMs: CALL_TIMEOUT_MS };
    },
    async close() {
      await h.close();
      await api.stop();
    },
  };
}
