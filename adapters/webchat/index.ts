import { durationMs } from "../../src/content/privacy.js";
import type { Content } from "../../src/content/types.js";
import type { ChannelDeps } from "../../src/ports/channel.js";
import type { ChannelModule } from "../module.js";
import { WebchatChannel, type WebchatOptions } from "./channel.js";
import { type WebchatEnv, webchatEnv } from "./env.js";
import { originsFromEnv } from "./verify.js";

/** The live chat is always on (it is what `npm start` shows at `/`); the environment adds origins. */
export function createWebchatChannel(env: WebchatEnv, deps: ChannelDeps, content: Content): WebchatChannel {
  const o: WebchatOptions = {
    config: content.config.webchat,
    floods: content.config.limits.webchat,
    deps,
    extraOrigins: originsFromEnv(env.WEBCHAT_ALLOWED_ORIGINS),
    brand: content.config.brand.name,
    maxUploadBytes: Math.round(content.config.media.webchat_max_mb * 1024 * 1024),
    retentionMs: durationMs(content.config.privacy.retention.webchat_visitors),
  };
  return new WebchatChannel(o);
}

export const webchat: ChannelModule<typeof webchatEnv> = {
  id: "webchat",
  env: webchatEnv,
  off: () => undefined,
  create: (env, deps) => createWebchatChannel(env, deps, deps.content),
};
