import type { Update } from "grammy/types";
import { FakePlatform, type Recorded } from "../../helpers/fake-platform.js";
import { TOKEN } from "./server-process.js";

/**
 * Five questions whose answers are one short Telegram message each and tell each other
 * apart: a conversation's answers can be checked one by one and in order.
 */
export const QUESTIONS: { text: string; intent: string; mark: string }[] = [
  { text: "số hotline là gì", intent: "contact.hotline", mark: "1900 6868" },
  { text: "email hỗ trợ là gì", intent: "contact.email", mark: "support@hotro.example.vn" },
  { text: "bạn là bot à", intent: "bot.identity", mark: "(chatbot)" },
  { text: "có live chat không", intent: "contact.livechat", mark: "chat trực tuyến" },
  { text: "cảm ơn nhé", intent: "thanks", mark: "Không có gì" },
];

/** Which question an answer belongs to (index into QUESTIONS), or -1. */
export function questionOf(text: string): number {
  const hits = QUESTIONS.flatMap((q, i) => (text.includes(q.mark) ? [i] : []));
  return hits.length === 1 ? (hits[0] ?? -1) : -1;
}

/** The order in which conversation `n` asks the five questions (rotated, so orders differ). */
export function orderFor(n: number): number[] {
  return QUESTIONS.map((_, k) => (k + n) % QUESTIONS.length);
}

export interface Sent {
  chat: number;
  text: string;
  at: number;
  /** Arrival order at the fake, over the whole test. */
  seq: number;
}

/**
 * The Telegram Bot API, played by a local HTTP server: getMe answers with a bot user,
 * sendMessage is recorded (one entry per message the user would see) and answered like
 * Telegram, unless a test programs a failure for it.
 */
export class FakeBotApi {
  readonly platform = new FakePlatform();
  private messageId = 1;
  private seq = 0;
  /** Messages the fake accepted (answered 200), in arrival order. */
  readonly sent: Sent[] = [];

  get url(): string {
    return this.platform.url;
  }

  async start(): Promise<this> {
    const base = `/bot${TOKEN}/`;
    await this.platform.start((r) => {
      const method = r.path.startsWith(base) ? r.path.slice(base.length) : "";
      if (method === "getMe") {
        return {
          body: {
            ok: true,
            result: { id: 4242, is_bot: true, first_name: "HoTro", username: "hotro_durability_bot" },
          },
        };
      }
      if (method === "sendMessage") {
        const p = payload(r);
        const chat = Number(p.chat_id);
        this.sent.push({ chat, text: String(p.text ?? ""), at: Date.now(), seq: ++this.seq });
        return {
          body: {
            ok: true,
            result: {
              message_id: ++this.messageId,
              date: Math.floor(Date.now() / 1000),
              chat: { id: chat, type: "private" },
              text: p.text,
            },
          },
        };
      }
      return { body: { ok: true, result: true } };
    });
    return this;
  }

  /** Answer the next `n` sendMessage calls to `chat` with `reply` (500, 429…), before the normal path. */
  failNext(chat: number, n: number, reply: { status: number; body: unknown }): void {
    this.platform.times(n, (r) => r.path === `/bot${TOKEN}/sendMessage` && Number(payload(r).chat_id) === chat, reply);
  }

  /** Every sendMessage attempt to `chat` (failed ones included). */
  attempts(chat: number): Recorded[] {
    return this.platform.to(`/bot${TOKEN}/sendMessage`).filter((r) => Number(payload(r).chat_id) === chat);
  }

  /** The texts `chat` received, in order. */
  answers(chat: number): Sent[] {
    return this.sent.filter((s) => s.chat === chat);
  }

  stop(): Promise<void> {
    return this.platform.stop();
  }
}

function payload(r: Recorded): Record<string, unknown> {
  return typeof r.body === "object" && r.body !== null ? (r.body as Record<string, unknown>) : {};
}

/** A private-chat text message from user `chat`, as Telegram posts it to the webhook. */
export function textUpdate(updateId: number, chat: number, text: string): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chat, type: "private", first_name: "Khách" },
      from: { id: chat, is_bot: false, first_name: "Khách", language_code: "vi" },
      text,
    },
  } as Update;
}
