import { type CoreEnv, parseCoreEnv } from "../config/env.js";
import { createLogger } from "../config/log.js";
import { loadContentOrThrow } from "../content/load.js";
import type { Content } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import { backendFor } from "../store/select.js";

/** The store and config the server uses (DATA_DIR, or Redis when REDIS_URL is set), for a CLI. */
export function cliStore(env: CoreEnv = parseCoreEnv()): { backend: Backend; content: Content } {
  const log = createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : "warn");
  const content = loadContentOrThrow({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR });
  return { backend: backendFor(env, log, content.config), content };
}
