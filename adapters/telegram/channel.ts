import { Bot, GrammyError, type Transformer } from "grammy";
import type {
  InlineKeyboardButton,
  ReplyKeyboardMarkup,
  ReplyKeyboardRemove,
  Update,
  UserFromGetMe,
} from "grammy/types";
import { chooseRule, factsOf } from "../../src/media/fit.js";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/ports/channel.js";
import type { MediaSource } from "../../src/ports/media.js";
import type { Attachment } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { isStale } from "../../src/queue/dedupe.js";
import { asRecord } from "../shared/read.js";
import { TELEGRAM_CAPABILITIES } from "./capabilities.js";
import { botApiAgent, boundedCalls, pooledFetch, shortRetries } from "./client.js";
import { route, updateTime } from "./inbound.js";
import { sendPlace, sendStored, telegramSource } from "./media.js";
import { classifyError, contactKeyboardOf, keyboardOf, LONG_PAYLOAD, textOf } from "./outbound.js";
import { Pacer } from "./pacing.js";
import { secretMatches } from "./verify.js";

const IDENTIFY_FIRST_WAIT_MS = 2_000;
const IDENTIFY_MAX_WAIT_MS = 5 * 60_000;

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
  /** How long one Bot API call may take (default 10 s). */
  callTimeoutMs?: number;
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
  readonly name = "Telegram";
  readonly capabilities = TELEGRAM_CAPABILITIES;
  readonly bot: Bot;
  onOperators?: OperatorUpdateHandler;
  private status: ChannelHealth = { ok: false, state: "starting", reason: "not started" };
  private intake?: Intake;
  private polling = false;
  private readonly pacer: Pacer;
  private readonly agent = botApiAgent();
  private identifyTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: TelegramOptions) {
    const agent = this.agent;
    this.bot = new Bot(options.token, {
      ...(options.botInfo ? { botInfo: options.botInfo } : {}),
      client: {
        apiRoot: options.apiRoot,
        timeoutSeconds: 45,
        // undici with a keep-alive pool: the send is the largest cost per message (performance.md).
        fetch: pooledFetch(agent),
      },
    });
    for (const t of options.transformers ?? []) this.bot.api.config.use(t);
    // A short 429 is waited out inside the call; everything else goes back to the outbox,
    // which keeps the message and retries it later without holding a worker. The bound is
    // installed last, so it is the outermost: no call (retry included) outlives it.
    this.bot.api.config.use(shortRetries());
    this.bot.api.config.use(boundedCalls(options.callTimeoutMs));
    if (options.botInfo) this.status = { ok: true };
    const p = options.pacing ?? { burst: 3, intervalMs: 1000 };
    this.pacer = new Pacer(p.burst, p.intervalMs);
  }

  /**
   * Check the token with getMe, in the background: start-up never waits on Telegram (it is
   * blocked on Vietnam's main networks). Until it answers, webhooks are still recorded and
   * sends still tried (they need no getMe); the attempt repeats with capped backoff, and the
   * state is logged once per change.
   */
  private async identify(attempt = 1): Promise<void> {
    if (this.options.botInfo || this.stopped) return;
    try {
      await this.bot.init();
      this.setStatus({ ok: true }, "info", { bot: this.bot.botInfo.username });
      if (this.options.mode === "polling" && this.intake) this.startPolling(this.intake);
    } catch (err) {
      const refused = err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404);
      this.setStatus(
        refused
          ? { ok: false, state: "down", reason: "Telegram refused TELEGRAM_BOT_TOKEN (check it with BotFather)" }
          : {
              ok: false,
              state: "unreachable",
              reason: "Telegram is not reachable (getMe failed); retrying in the background",
            },
        "error",
        { err: err instanceof Error ? err.message : String(err) },
      );
      if (refused || this.stopped) return;
      const wait = Math.min(IDENTIFY_MAX_WAIT_MS, IDENTIFY_FIRST_WAIT_MS * 2 ** (attempt - 1));
      this.identifyTimer = setTimeout(() => void this.identify(attempt + 1), wait);
      this.identifyTimer.unref();
    }
  }

  /** A send went through while getMe was failing: Telegram is back, so identify now instead of at the next backoff. */
  private reachedAgain(): void {
    if (this.status.ok || this.status.state !== "unreachable" || this.stopped) return;
    clearTimeout(this.identifyTimer);
    void this.identify();
  }

  /** Health changes are logged once each, not at every retry. */
  private setStatus(next: ChannelHealth, level: "info" | "error", extra: Record<string, unknown> = {}): void {
    if (next.ok === this.status.ok && next.reason === this.status.reason) return;
    this.status = next;
    this.options.deps.log[level](extra, next.ok ? "telegram: bot identified, channel up" : `telegram: ${next.reason}`);
  }

  health(): ChannelHealth {
    return this.status;
  }

  routes(app: import("fastify").FastifyInstance, intake: Intake): void {
    this.intake = intake;
    app.post("/webhooks/telegram", async (req, reply) => {
      if (!secretMatches(req.headers["x-telegram-bot-api-secret-token"], this.options.secret)) {
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
    const now = this.options.now?.() ?? Date.now();
    const updateId = (update as { update_id?: unknown }).update_id;
    const at = updateTime(update);
    if (isStale(at, now)) {
      this.options.deps.log.info(
        { channel: "telegram", update_id: updateId, ageHours: Math.round((now - (at ?? now)) / 3_600_000) },
        "telegram: update older than the dedupe window acknowledged and dropped",
      );
      return;
    }
    const r = route(update, this.options.operatorsChatId, now);
    if (r.to === "ignore") {
      this.options.deps.log.debug({ channel: "telegram", update_id: updateId, why: r.why }, "telegram: update ignored");
      // A button tapped where the bot does not act (another group, a channel): stop its spinner all the same.
      if (r.callbackQueryId) void this.bot.api.answerCallbackQuery(r.callbackQueryId).catch(() => undefined);
      return;
    }
    if (r.to === "operators") {
      await this.onOperators?.(r.update as Parameters<OperatorUpdateHandler>[0]);
      return;
    }
    for (const e of r.events) {
      if (e.payload?.startsWith(LONG_PAYLOAD)) {
        e.payload = ((await this.options.deps.kv.get(`tgcb:${e.payload}`)) as string | undefined) ?? e.payload;
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
    if (this.options.botInfo) {
      if (this.options.mode === "polling") this.startPolling(intake);
      return;
    }
    this.status = { ok: false, state: "starting", reason: "connecting to Telegram" };
    void this.identify();
  }

  /** Long polling, once the bot is identified (grammY's start() needs getMe). */
  private startPolling(intake: Intake): void {
    if (this.polling || this.stopped) return;
    this.options.deps.log.info("telegram: polling (TELEGRAM_MODE=polling): removing any webhook first");
    this.bot.use(async (ctx) => this.handle(ctx.update, intake));
    this.bot.catch((err) => this.options.deps.log.error({ err: err.error }, "telegram: update failed"));
    this.polling = true;
    // grammY's start() calls deleteWebhook, then long-polls; it resolves only when stopped.
    void this.bot.start({ allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false }).catch((err) => {
      this.status = { ok: false, reason: `polling stopped: ${err instanceof Error ? err.message : String(err)}` };
      this.options.deps.log.error({ err }, "telegram: polling stopped");
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.identifyTimer);
    if (this.polling) await this.bot.stop();
    // Sends were drained before channels stop; what is still open is a call to a platform
    // that does not answer (getMe during an outage): cut it rather than wait for it.
    await this.agent.destroy();
  }

  /** A user's file by `getFile` (the download URL carries the token: it is never logged). */
  mediaSource(a: Attachment): Promise<MediaSource | undefined> {
    return telegramSource(this.bot.api, this.options.apiRoot, this.options.token, a);
  }

  /**
   * A file from the media store, uploaded with the method for its type (capabilities' media
   * rules); one Telegram cannot take is refused with the reason (the runtime has made it a
   * link already when hotro has a public address).
   */
  private async sendFile(
    chatId: string,
    a: Attachment,
    markup: Record<string, unknown>,
  ): Promise<SendOutcome | undefined> {
    if (a.type === "location") {
      await sendPlace(this.bot.api, chatId, a, markup);
      return undefined;
    }
    const file = a.mediaId ? await this.options.deps.media?.read(a.mediaId) : undefined;
    if (!file) return { ok: false, permanent: true, error: `${a.name ?? a.type}: the file is no longer kept` };
    const facts = factsOf(a);
    const chosen = facts ? chooseRule(this.capabilities.media, facts) : undefined;
    if (!chosen || "why" in chosen)
      return {
        ok: false,
        permanent: true,
        error: `${a.name ?? a.type}: ${chosen && "why" in chosen ? chosen.why : "unknown file"}`,
      };
    await sendStored(this.bot.api, chatId, chosen.rule.as, a, file.bytes, markup);
    return undefined;
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
        this.options.deps.kv.set(`tgcb:${key}`, payload, 30 * 24 * 3600_000).then(() => undefined);
      const contact = contactKeyboardOf(m);
      const keyboard = contact ? undefined : await keyboardOf(m, store);
      const kbKey = `tg:kb:${chatId}`;
      let markup: {
        reply_markup?: ReplyKeyboardMarkup | ReplyKeyboardRemove | { inline_keyboard: InlineKeyboardButton[][] };
      } = keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {};
      if (contact) markup = { reply_markup: contact };
      else if (!keyboard && (await this.options.deps.kv.get(kbKey).catch(() => undefined))) {
        // The contact keyboard of an earlier question is still up: the next plain message takes it away.
        markup = { reply_markup: { remove_keyboard: true } };
      }
      if (m.attachment) {
        const refused = await this.sendFile(chatId, m.attachment, markup);
        if (refused) return refused;
      } else if (m.image) {
        // A photo an operator posted in the group travels by Telegram file id.
        const photo = m.image.url.startsWith("tg-file:") ? m.image.url.slice(8) : m.image.url;
        await this.bot.api.sendPhoto(chatId, photo, {
          ...(m.image.caption ? { caption: m.image.caption } : {}),
          ...markup,
        });
      } else {
        await this.bot.api.sendMessage(chatId, textOf(m), markup);
      }
      if (contact) await this.options.deps.kv.set(kbKey, 1, 7 * 24 * 3600_000).catch(() => undefined);
      else if (markup.reply_markup && "remove_keyboard" in markup.reply_markup)
        await this.options.deps.kv.delete(kbKey).catch(() => undefined);
      this.reachedAgain();
      return { ok: true };
    } catch (err) {
      const outcome = classifyError(err);
      if (outcome.permanent && outcome.error.startsWith("blocked")) {
        // Remember it: operators see it, and nobody retries a user who blocked the bot.
        await this.options.deps.kv.set(`tg:blocked:${chatId}`, Date.now()).catch(() => undefined);
        this.options.deps.log.info({ chat: chatId }, "telegram: the user blocked the bot");
      }
      return outcome;
    }
  }
}
