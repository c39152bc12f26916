import type { ChannelModule } from "../../adapters/module.js";
import { channelModules } from "../../adapters/registry.js";
import type { ChannelAdapter, ChannelDeps } from "../ports/channel.js";
import type { OperatorsPort } from "../ports/operators.js";
import { type AppDeps, buildApp, type Hotro } from "../server/app.js";
import { consoleRoutes } from "../server/console/routes.js";
import { operatorApi } from "../server/operator-api.js";
import { backendFor } from "../store/select.js";
import type { Env } from "./env.js";

/**
 * The composition root: the one module that knows every part (the store, the channels of
 * the registry, the operators' surfaces, the server). Entry points (`npm start`) call it;
 * nothing else imports it.
 */

/** What adapters get from the app: the log, the shared store, the deployment-wide lock and bus. */
export function channelDeps(d: AppDeps): ChannelDeps {
  return {
    log: d.log,
    kv: d.backend.kv,
    withLock: (n, ttl, fn) => d.backend.withLock(n, ttl, fn),
    bus: d.backend.bus,
    media: d.media,
  };
}

/**
 * Every registered channel the environment enables; the others are named once in the log with
 * what to set. `modules` is the registry (tests add a channel of their own to it).
 */
export function channelsFromEnv(
  env: Env,
  d: AppDeps,
  modules: readonly ChannelModule[] = channelModules,
): ChannelAdapter[] {
  // Read at each use: a content reload reaches the channels too.
  const deps = {
    ...channelDeps(d),
    get content() {
      return d.content;
    },
    match: (text: string) => d.matcher.match(text),
  };
  const out: ChannelAdapter[] = [];
  for (const m of modules) {
    const why = m.off(env);
    if (why) d.log.info({ channel: m.id }, `${m.id} disabled: ${why}`);
    else out.push(m.create(env, deps));
  }
  return out;
}

/** The operators' surfaces besides the console that the enabled channels host (the Telegram group). */
function deskSurfaces(env: Env, d: AppDeps): OperatorsPort | undefined {
  for (const m of channelModules) {
    const adapter = d.channels.get(m.id);
    if (!adapter || !("desk" in m) || !m.desk) continue;
    const surface = m.desk(env, adapter, d);
    if (surface) return surface;
  }
  return undefined;
}

/** The production wiring: the store, the app and every channel the environment enables. */
export async function buildServer(env: Env): Promise<Hotro> {
  return buildApp({
    env,
    makeBackend: (content, log) =>
      backendFor(
        env,
        log,
        content.config,
        channelModules.map((m) => m.id),
      ),
    makeChannels: (d) => channelsFromEnv(env, d),
    makeOperators: (d) => deskSurfaces(env, d),
    plugins: [operatorApi, consoleRoutes],
  });
}
