import { createTelegramChannel } from "../../adapters/telegram/index.js";
import type { ChannelAdapter, ChannelDeps } from "../channels/types.js";
import type { Env } from "../config/env.js";
import { type AppDeps, buildApp, type Hotro } from "./app.js";

/** What adapters get from the app: the log, the shared store and the deployment-wide lock. */
export function channelDeps(d: AppDeps): ChannelDeps {
  return { log: d.log, kv: d.backend.kv, withLock: (n, ttl, fn) => d.backend.withLock(n, ttl, fn) };
}

/** Every channel the environment enables, each given the shared store and lock. */
export function channelsFromEnv(env: Env, d: AppDeps): ChannelAdapter[] {
  const deps = channelDeps(d);
  const out: ChannelAdapter[] = [];
  const telegram = createTelegramChannel(env, deps);
  if (telegram) out.push(telegram);
  return out;
}

/**
 * The production wiring: the app plus every channel the environment enables. Kept apart
 * from `buildApp` so tests can mount exactly the adapters they exercise.
 */
export async function buildServer(env: Env): Promise<Hotro> {
  return buildApp({ env, makeChannels: (d) => channelsFromEnv(env, d) });
}
