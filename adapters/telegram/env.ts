import { z } from "zod";
import { optional } from "../../src/config/env.js";

/**
 * Telegram (SPEC.md): the bot token, the webhook secret or polling, the Bot API root, and the
 * operators' group (an optional second surface of the desk, reached through the same bot).
 */
export const telegramEnv = {
  TELEGRAM_BOT_TOKEN: optional(
    z.string().regex(/^\d+:[A-Za-z0-9_-]{10,}$/, "must look like 123456:ABC-… (from BotFather)"),
  ),
  TELEGRAM_WEBHOOK_SECRET: optional(
    z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "1–256 characters of A-Z, a-z, 0-9, _ and -"),
  ),
  TELEGRAM_MODE: z.enum(["webhook", "polling"]).default("webhook"),
  TELEGRAM_API_ROOT: z
    .string()
    .url()
    .default("https://api.telegram.org")
    .refine((u) => !u.endsWith("/"), "remove the trailing /"),
  OPERATORS_TELEGRAM_CHAT_ID: optional(z.string().regex(/^-?\d+$/, "a numeric chat id such as -1001234567890")),
};

export type TelegramEnv = z.infer<z.ZodObject<typeof telegramEnv>>;
