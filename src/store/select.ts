import type { Logger } from "pino";
import type { Content } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import { redisBackend } from "./redis/backend.js";
import { embeddedBackend } from "./sqlite/backend.js";

/** What picks the store: Redis when REDIS_URL is set, else the SQLite file in DATA_DIR. */
export interface StoreSettings {
  DATA_DIR: string;
  REDIS_URL?: string | undefined;
  REDIS_PREFIX: string;
}

/**
 * The one place that chooses and builds the backend (the server, the CLIs and the tests all
 * come here), so a setting such as REDIS_PREFIX cannot be honoured in one and forgotten in
 * another.
 */
export function backendFor(
  env: StoreSettings,
  log: Logger,
  config: Pick<Content["config"], "brand" | "delivery">,
  /** The channels the deployment runs: with Redis, each gets a delivery queue of its own. */
  channelIds: readonly string[] = [],
): Backend {
  const requestPrefix = config.brand.request_prefix;
  const delivery = config.delivery;
  return env.REDIS_URL
    ? redisBackend({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX, requestPrefix, log, delivery, channelIds })
    : embeddedBackend(env.DATA_DIR, log, requestPrefix, { delivery });
}
