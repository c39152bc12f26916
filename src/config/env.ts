import { z } from "zod";

/**
 * Environment variables (SPEC.md): the core ones here; each channel adds its own
 * (adapters/<channel>/env.ts), and the composition root parses them all together. A channel
 * whose variables are missing is disabled; one that is present but malformed stops start-up
 * with a message naming it.
 */
/** An unset or empty variable reads as absent. */
export const optional = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === "" ? undefined : v), s.optional());

export const coreEnvShape = {
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  REDIS_URL: optional(z.string().regex(/^rediss?:\/\/.+/, "must look like redis://host:6379")),
  /** Key prefix in Redis, so several deployments can share one server. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,64}$/, "letters, digits, _ : . - (up to 64)")
    .default("hotro:"),
  /** Pictures, voice notes and files (default `DATA_DIR/media`); with REDIS_URL, a directory every process mounts. */
  MEDIA_DIR: optional(z.string().min(1)),
  /** Where users reach this server (`https://support.example.vn`): links to files sent to other platforms. */
  PUBLIC_URL: optional(
    z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "must look like https://support.example.vn"),
  ),
  CONFIG_DIR: z.string().min(1).default("./config"),
  FLOWS_DIR: z.string().min(1).default("./flows"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPERATOR_API_TOKEN: optional(z.string().min(16, "use at least 16 characters")),
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
};

export type CoreEnv = z.infer<z.ZodObject<typeof coreEnvShape>>;

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Parse `source` with the core variables plus `shape` (a channel's, or every channel's). */
export function parseEnvWith<S extends z.ZodRawShape>(
  shape: S,
  source: Record<string, string | undefined> = process.env,
): CoreEnv & z.infer<z.ZodObject<S>> {
  const r = z.object({ ...coreEnvShape, ...shape }).safeParse(source);
  if (!r.success) {
    throw new EnvError(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  return r.data as CoreEnv & z.infer<z.ZodObject<S>>;
}

/** The core variables only (the content tools and the terminal chat need no platform). */
export function parseCoreEnv(source: Record<string, string | undefined> = process.env): CoreEnv {
  return parseEnvWith({}, source);
}
