import { autoRetry } from "@grammyjs/auto-retry";
import { Bot, GrammyError, type Transformer } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { Agent, fetch as undiciFetch } from "undici";
import { asRecord } from "../../src/channels/read.js";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/channels/types.js";
import type { Env } from "../../src/config/env.js";
import { isStale } from "../../src/runtime/dedupe.js";
import type { SendJob, SendOutcome } from "../../src/runtime/queue.js";
import { route, updateTime } from "./inbound.js";
import { classify, keyboardOf, LONG_PAYLOAD, TELEGRAM_CAPABILITIES, textOf } from "./outbound.js";
import { Pacer } from "./pacing.js";
import { secretMatches } from "./verify.js";

/** The update types the bot handles; registered with setWebhook and used for polling. */
export const ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"] as const;

export interface TelegramOptions {
  token: string;
  secret?: string;
  mode: "webhook" | "polling";
  apiRoot: string;
  operatorsChatId?: string;
  /** Known bot identity: skips getMe at start (tests). */
  botInfo?: UserFromGetMe;
  /** API transformers installed before auto-retry (tests record or fake calls with them). */
  transformers?: Transformer[];
  /** Per-chat pacing: messages allowed in a burst, then one per `intervalMs`. */
  pacing?: { burst: number; intervalMs: number };
  deps: ChannelDeps;
  /** The clock an update's age is judged by (tests). */
  now?: () => number;
}

/**
 * Handles updates from the operators' group (set by the operators' code). The update is a
 * JSON object with a numeric `update_id`; nothing else about it has been checked.
 */
export type OperatorUpdateHandler = (update: { update_id: number } & Record<string, unknown>) => Promise<void>;

/**
 * Telegram through grammY: webhook (secret header, constant-time) or long polling, one path
 * for both (updates → events → the common intake), and sends through grammY's API client
 * with auto-retry for short 429s and the outbox for everything longer.
 */
export class TelegramChannel implements ChannelAdapter {
  readonly id = "telegram" as const;
  readonly capabilities = TELEGRAM_CAPABILITIES;
  readonly bot: Bot;
  onOperators?: OperatorUpdateHandler;
  private status: ChannelHealth = { ok: false, reason: "not started" };
  private intake?: Intake;
  private polling = false;
  private readonly pacer: Pacer;
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 64, connect: { timeout: 10_000 } });

  constructor(private readonly o: TelegramOptions) {
    const agent = this.agent;
    this.bot = new Bot(o.token, {
      ...(o.botInfo ? { botInfo: o.botInfo } : {}),
      client: {
        apiRoot: o.apiRoot,
        timeoutSeconds: 45,
        // undici with a keep-alive pool: the send is the largest cost per message (performance.md).
        fetch: pooledFetch(agent),
      },
    });
    for (const t of o.transformers ?? []) this.bot.api.config.use(t);
    // Short waits are absorbed here; anything longer goes back to the outbox, which keeps
    // the message and retries it later without holding a worker.
    this.bot.api.config.use(autoRetry({ maxRetryAttempts: 2, maxDelaySeconds: 5 }));
    if (o.botInfo) this.status = { ok: true };
    const p = o.pacing ?? { burst: 3, intervalMs: 1000 };
    this.pacer = new Pacer(p.burst, p.intervalMs);
  }

  /** Check the token with getMe once at start, so no request waits on it later. */
  private async identify(): Promise<void> {
    if (this.o.botInfo) return;
    try {
      await this.bot.init();
      this.status = { ok: true };
      this.o.deps.log.info({ bot: this.bot.botInfo.username }, "telegram: bot identified");
    } catch (err) {
      const refused = err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404);
      this.status = {
        ok: false,
        reason: refused
          ? "Telegram refused TELEGRAM_BOT_TOKEN (check it with BotFather)"
          : "Telegram is not reachable (getMe failed)",
      };
      this.o.deps.log.error(
        { err: err instanceof Error ? err.message : String(err) },
        `telegram: ${this.status.reason}`,
      );
      if (!refused) setTimeout(() => void this.identify(), 30_000).unref();
    }
  }

  health(): ChannelHealth {
    return this.status;
  }

  routes(app: import("fastify").FastifyInstance, intake: Intake): void {
    this.intake = intake;
    app.post("/webhooks/telegram", async (req, reply) => {
      if (!secretMatches(req.headers["x-telegram-bot-api-secret-token"], this.o.secret)) {
        return reply.code(401).send({ error: "secret token is wrong" });
      }
      const update = asRecord(req.body);
      if (!update || !Number.isSafeInteger(update.update_id)) {
        return reply.code(400).send({ error: "not a Telegram update" });
      }
      await this.handle(update, intake);
      return reply.send("");
    });
  }

  /**
   * One update: recorded durably before the webhook answers (or polling moves on). Any JSON
   * object is handled: what cannot be mapped is ignored (one debug line, never the update).
   * A message older than the dedupe window is acknowledged and dropped: its update_id may
   * have been forgotten, so dedupe could no longer tell a redelivery from a new update.
   */
  async handle(update: Update | Record<string, unknown>, intake: Intake): Promise<void> {
    const now = this.o.now?.() ?? Date.now();
    const updateId = (update as { update_id?: unknown }).update_id;
    const at = updateTime(update);
    if (isStale(at, now)) {
      this.o.deps.log.info(
        { channel: "telegram", update_id: updateId, ageHours: Math.round((now - (at ?? now)) / 3_600_000) },
        "telegram: update older than the dedupe window acknowledged and dropped",
      );
      return;
    }
    const r = route(update, this.o.operatorsChatId, now);
    if (r.to === "ignore") {
      this.o.deps.log.debug({ channel: "telegram", update_id: updateId, why: r.why }, "telegram: update ignored");
      return;
    }
    if (r.to === "operators") {
      await this.onOperators?.(r.update as Parameters<OperatorUpdateHandler>[0]);
      return;
    }
    for (const e of r.events) {
      if (e.payload?.startsWith(LONG_PAYLOAD)) {
        e.payload = ((await this.o.deps.kv.get(`tgcb:${e.payload}`)) as string | undefined) ?? e.payload;
      }
    }
    await intake.accept(r.events);
    if (r.callbackQueryId) {
      // Always answer, so the button stops spinning; never hold the webhook for it.
      void this.bot.api.answerCallbackQuery(r.callbackQueryId).catch(() => undefined);
    }
  }

  async start(intake: Intake): Promise<void> {
    this.intake ??= intake;
    await this.identify();
    if (this.o.mode !== "polling") return;
    this.o.deps.log.info("telegram: polling (TELEGRAM_MODE=polling): removing any webhook first");
    this.bot.use(async (ctx) => this.handle(ctx.update, intake));
    this.bot.catch((err) => this.o.deps.log.error({ err: err.error }, "telegram: update failed"));
    this.polling = true;
    // grammY's start() calls deleteWebhook, then long-polls; it resolves only when stopped.
    void this.bot.start({ allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false }).catch((err) => {
      this.status = { ok: false, reason: `polling stopped: ${err instanceof Error ? err.message : String(err)}` };
      this.o.deps.log.error({ err }, "telegram: polling stopped");
    });
  }

  async stop(): Promise<void> {
    if (this.polling) await this.bot.stop();
    await this.agent.close();
  }

  async typing(userId: string): Promise<void> {
    await this.bot.api.sendChatAction(userId, "typing").catch(() => undefined);
  }

  async send(job: SendJob): Promise<SendOutcome> {
    const chatId = job.userId;
    const m = job.message;
    // A long wait goes back to the outbox (it retries then without holding a worker); a
    // short one is waited out here. Either way the reply takes a moment: show "typing…".
    const wait = this.pacer.delay(chatId);
    if (wait > 1000) {
      void this.typing(chatId);
      return { ok: false, permanent: false, error: "paced", retryAfterMs: wait, paced: true };
    }
    await this.pacer.take(chatId, (ms) => {
      if (ms > 300) void this.typing(chatId);
    });
    try {
      const store = (key: string, payload: string) =>
        this.o.deps.kv.set(`tgcb:${key}`, payload, 30 * 24 * 3600_000).then(() => undefined);
      const keyboard = await keyboardOf(m, store);
      const markup = keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {};
      if (m.image) {
        // A photo an operator posted in the group travels by Telegram file id.
        const photo = m.image.url.startsWith("tg-file:") ? m.image.url.slice(8) : m.image.url;
        await this.bot.api.sendPhoto(chatId, photo, {
          ...(m.image.caption ? { caption: m.image.caption } : {}),
          ...markup,
        });
      } else {
        await this.bot.api.sendMessage(chatId, textOf(m), markup);
      }
      return { ok: true };
    } catch (err) {
      const outcome = classify(err);
      if (outcome.permanent && outcome.error.startsWith("blocked")) {
        // Remember it: operators see it, and nobody retries a user who blocked the bot.
        await this.o.deps.kv.set(`tg:blocked:${chatId}`, Date.now()).catch(() => undefined);
        this.o.deps.log.info({ chat: chatId }, "telegram: the user blocked the bot");
      }
      return outcome;
    }
  }
}

/**
 * grammY's default client is node-fetch with a polyfilled AbortSignal, which undici's fetch
 * does not accept: link it to a native one, and send through the keep-alive pool.
 */
function pooledFetch(agent: Agent): typeof fetch {
  return ((
    url: string,
    init: { signal?: { aborted: boolean; addEventListener: (t: string, f: () => void) => void }; body?: unknown },
  ) => {
    const { signal, ...rest } = init ?? {};
    const ctrl = new AbortController();
    if (signal) {
      if (signal.aborted) ctrl.abort();
      else signal.addEventListener("abort", () => ctrl.abort());
    }
    const streamed =
      rest.body !== undefined && typeof rest.body === "object" && rest.body !== null && "pipe" in rest.body;
    return undiciFetch(url, {
      ...rest,
      signal: ctrl.signal,
      dispatcher: agent,
      ...(streamed ? { duplex: "half" } : {}),
    } as never);
  }) as unknown as typeof fetch;
}

/** The Telegram channel when TELEGRAM_BOT_TOKEN (and, for webhooks, the secret) is set. */
export function createTelegramChannel(
  env: Env,
  deps: ChannelDeps,
  extra: Partial<TelegramOptions> = {},
): TelegramChannel | undefined {
  if (!env.TELEGRAM_BOT_TOKEN) return undefined;
  if (env.TELEGRAM_MODE === "webhook" && !env.TELEGRAM_WEBHOOK_SECRET) return undefined;
  const o: TelegramOptions = {
    token: env.TELEGRAM_BOT_TOKEN,
    mode: env.TELEGRAM_MODE,
    apiRoot: env.TELEGRAM_API_ROOT,
    deps,
    ...extra,
  };
  if (env.TELEGRAM_WEBHOOK_SECRET) o.secret = env.TELEGRAM_WEBHOOK_SECRET;
  if (env.OPERATORS_TELEGRAM_CHAT_ID) o.operatorsChatId = env.OPERATORS_TELEGRAM_CHAT_ID;
  return new TelegramChannel(o);
}
