import { z } from "zod";

/**
 * Environment variables (SPEC.md). A channel whose variables are all missing is disabled;
 * one that is present but malformed stops start-up with a message naming it.
 */
const optional = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === "" ? undefined : v), s.optional());

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\/.+/, "must look like redis://host:6379")),
  /** Key prefix in Redis, so several deployments can share one server. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,64}$/, "letters, digits, _ : . - (up to 64)")
    .default("hotro:"),
  CONFIG_DIR: z.string().min(1).default("./config"),
  FLOWS_DIR: z.string().min(1).default("./flows"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
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
  MESSENGER_PAGE_ACCESS_TOKEN: optional(z.string().min(10)),
  MESSENGER_APP_SECRET: optional(z.string().min(8)),
  MESSENGER_VERIFY_TOKEN: optional(z.string().min(1)),
  MESSENGER_APP_ID: optional(z.string().regex(/^\d+$/, "digits only")),
  MESSENGER_GRAPH_URL: z.string().url().default("https://graph.facebook.com/v21.0"),
  ZALO_APP_ID: optional(z.string().regex(/^\d+$/, "digits only")),
  ZALO_APP_SECRET: optional(z.string().min(4)),
  ZALO_OA_SECRET_KEY: optional(z.string().min(4)),
  ZALO_REFRESH_TOKEN: optional(z.string().min(4)),
  ZALO_ACCESS_TOKEN: optional(z.string().min(4)),
  ZALO_API_URL: z.string().url().default("https://openapi.zalo.me"),
  ZALO_OAUTH_URL: z.string().url().default("https://oauth.zaloapp.com"),
  OPERATORS_TELEGRAM_CHAT_ID: optional(z.string().regex(/^-?\d+$/, "a numeric chat id such as -1001234567890")),
  OPERATOR_API_TOKEN: optional(z.string().min(16, "use at least 16 characters")),
  WEBCHAT_ALLOWED_ORIGINS: optional(z.string()),
  /** Serve /metrics on this port only (no credential), instead of the main port behind the operator credential. */
  METRICS_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * Behind a reverse proxy: whose `X-Forwarded-For` to believe for the client's address (the
   * live chat's per-IP limits). `1` (or another number of proxy hops), `true` (every hop), or
   * comma-separated addresses/CIDRs of the proxies. Unset: the socket's own address.
   */
  TRUST_PROXY: optional(
    z
      .string()
      .regex(
        /^(true|false|\d{1,2}|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/,
        "true, a number of proxy hops, or comma-separated proxy addresses/CIDRs",
      )
      .transform((v): boolean | number | string[] =>
        v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v.split(",").map((x) => x.trim()),
      ),
  ),
});

export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const r = EnvSchema.safeParse(source);
  if (!r.success) {
    throw new EnvError(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  return r.data;
}

/** Which channels the environment enables; `reason` says why one is not. */
export function enabledChannels(env: Env): { id: string; enabled: boolean; reason?: string }[] {
  const need = (id: string, vars: (keyof Env)[]) => {
    const missing = vars.filter((v) => !env[v]);
    if (missing.length === 0) return { id, enabled: true };
    return { id, enabled: false, reason: `set ${missing.join(", ")} to enable it` };
  };
  const telegramVars: (keyof Env)[] =
    env.TELEGRAM_MODE === "polling" ? ["TELEGRAM_BOT_TOKEN"] : ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"];
  return [
    need("telegram", telegramVars),
    need("messenger", ["MESSENGER_PAGE_ACCESS_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"]),
    need("zalo", ["ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_REFRESH_TOKEN"]),
    need(
      "operators",
      env.OPERATORS_TELEGRAM_CHAT_ID
        ? ["OPERATORS_TELEGRAM_CHAT_ID", "TELEGRAM_BOT_TOKEN"]
        : ["OPERATORS_TELEGRAM_CHAT_ID"],
    ),
  ];
}
