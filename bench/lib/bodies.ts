import { createHash, createHmac } from "node:crypto";

/**
 * Signed webhook requests as each platform sends them, one new message id per request,
 * users taken round-robin from a pool of 10,000 (so no user comes near the engine's flood
 * limit of 10 messages in 10 s, nor Telegram's per-chat pacing), texts from a set that
 * each get exactly one reply from the shipped content.
 */

export const USERS = 10_000;

export const MESSENGER = {
  token: "bench-page-token-0123456789",
  secret: "bench-app-secret-0123",
  verify: "bench-verify-token",
  page: "1895382890692545",
  path: "/webhooks/messenger",
};
export const TELEGRAM = {
  token: "123456:BENCH-token-for-benchmarks",
  secret: "bench_webhook-secret_0123",
  path: "/webhooks/telegram",
};
export const ZALO = {
  appId: "3608465249409039671",
  appSecret: "bench-app-secret",
  oaSecret: "bench-oa-secret-key",
  refresh: "bench-refresh-token",
  access: "bench-access-token-0",
  oa: "3886132808788086451",
  path: "/webhooks/zalo",
};

export type Channel = "messenger" | "telegram" | "zalo";

/**
 * One reply each with the shipped pack (checked by the engine benchmark and by matching
 * replies to messages): answers, no forms, no escalation. 13 texts, coprime with the
 * 10,000 users, so each user gets a varied sequence.
 */
export const TEXTS = [
  "số hotline là bao nhiêu",
  "cho xin số tổng đài",
  "so dien thoai cskh",
  "email hỗ trợ là gì",
  "dia chi mail cskh",
  "mấy giờ thì có người trực",
  "thoi gian lam viec cua cskh",
  "quên mật khẩu thì làm sao",
  "ko vao dc tai khoan",
  "có chương trình ưu đãi gì không",
  "cảm ơn bạn nhiều",
  "how can I contact support?",
  "what are your support hours",
];

/** JSON string literal with every non-ASCII character escaped, as Meta writes it. */
function metaString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
const TEXTS_META = TEXTS.map(metaString);
const TEXTS_JSON = TEXTS.map((t) => JSON.stringify(t));

/** The platform's id for user number `u` (what the reply's recipient carries). */
export function recipientId(channel: Channel, u: number): string {
  switch (channel) {
    case "messenger":
      return String(7_100_000_000_000_000 + u);
    case "telegram":
      return String(500_000_000 + u);
    case "zalo":
      return `24684588352${String(u).padStart(8, "0")}`;
  }
}

export interface BenchRequest {
  seq: number;
  /** Index of the user in the pool. */
  user: number;
  headers: Record<string, string>;
  body: string;
}

/** Builds request number `seq` for a channel. `run` keeps ids unique across runs on one store. */
export function makeRequest(channel: Channel, seq: number, run: string): BenchRequest {
  const user = seq % USERS;
  const t = Date.now();
  const text = seq % TEXTS.length;
  const id = recipientId(channel, user);
  switch (channel) {
    case "messenger": {
      const body = `{"object":"page","entry":[{"id":"${MESSENGER.page}","time":${t},"messaging":[{"sender":{"id":"${id}"},"recipient":{"id":"${MESSENGER.page}"},"timestamp":${t},"message":{"mid":"m_${run}_${seq}_AbCdEfGhIjKlMnOpQrStUvWxYz","text":${TEXTS_META[text]}}}]}]}`;
      const sig = createHmac("sha256", MESSENGER.secret).update(body).digest("hex");
      return {
        seq,
        user,
        body,
        headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${sig}` },
      };
    }
    case "telegram": {
      // update_id must only grow within one server; `seq` does (one counter per bench process).
      const body = `{"update_id":${100_000_000 + seq},"message":{"message_id":${seq + 1},"from":{"id":${id},"is_bot":false,"first_name":"Bench","language_code":"vi"},"chat":{"id":${id},"first_name":"Bench","type":"private"},"date":${Math.floor(t / 1000)},"text":${TEXTS_JSON[text]}}}`;
      return {
        seq,
        user,
        body,
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM.secret },
      };
    }
    case "zalo": {
      const ts = String(t);
      const msgId = createHash("md5").update(`${run}:${seq}`).digest("hex");
      const body = `{"app_id":"${ZALO.appId}","user_id_by_app":"55217727971758${String(user).padStart(5, "0")}","event_name":"user_send_text","timestamp":"${ts}","sender":{"id":"${id}"},"recipient":{"id":"${ZALO.oa}"},"message":{"text":${TEXTS_JSON[text]},"msg_id":"${msgId}"}}`;
      const mac = createHash("sha256").update(ZALO.appId).update(body).update(ts).update(ZALO.oaSecret).digest("hex");
      return {
        seq,
        user,
        body,
        headers: { "content-type": "application/json", "x-zevent-signature": `mac=${mac}` },
      };
    }
  }
}

/** The server's environment for a channel, its platform calls pointed at the local platform server. */
export function channelEnv(channel: Channel, platformUrl: string): Record<string, string> {
  switch (channel) {
    case "messenger":
      return {
        MESSENGER_PAGE_ACCESS_TOKEN: MESSENGER.token,
        MESSENGER_APP_SECRET: MESSENGER.secret,
        MESSENGER_VERIFY_TOKEN: MESSENGER.verify,
        MESSENGER_GRAPH_URL: `${platformUrl}/v21.0`,
      };
    case "telegram":
      return {
        TELEGRAM_BOT_TOKEN: TELEGRAM.token,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM.secret,
        TELEGRAM_MODE: "webhook",
        TELEGRAM_API_ROOT: platformUrl,
      };
    case "zalo":
      return {
        ZALO_APP_ID: ZALO.appId,
        ZALO_APP_SECRET: ZALO.appSecret,
        ZALO_OA_SECRET_KEY: ZALO.oaSecret,
        ZALO_REFRESH_TOKEN: ZALO.refresh,
        ZALO_ACCESS_TOKEN: ZALO.access,
        ZALO_API_URL: platformUrl,
        ZALO_OAUTH_URL: platformUrl,
      };
  }
}
