import type { ChannelDeps } from "../../src/ports/channel.js";
import { type ChannelModule, type ModuleDeps, missing } from "../module.js";
import { ZaloChannel } from "./channel.js";
import { type ZaloEnv, zaloEnv } from "./env.js";

const off = (env: ZaloEnv) =>
  missing(env, ["ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_REFRESH_TOKEN"]);

function build(env: ZaloEnv, deps: ChannelDeps): ZaloChannel {
  return new ZaloChannel(
    {
      appId: env.ZALO_APP_ID ?? "",
      appSecret: env.ZALO_APP_SECRET ?? "",
      oaSecretKey: env.ZALO_OA_SECRET_KEY ?? "",
      refreshToken: env.ZALO_REFRESH_TOKEN ?? "",
      ...(env.ZALO_ACCESS_TOKEN ? { accessToken: env.ZALO_ACCESS_TOKEN } : {}),
      apiUrl: env.ZALO_API_URL,
      oauthUrl: env.ZALO_OAUTH_URL,
      replyReference: env.ZALO_REPLY_REFERENCE,
      freeReplyHours: env.ZALO_FREE_REPLY_HOURS,
      replyWindowDays: env.ZALO_REPLY_WINDOW_DAYS,
      ...(env.ZALO_USER_INFO_IMAGE_URL ? { userInfoImageUrl: env.ZALO_USER_INFO_IMAGE_URL } : {}),
      ...("content" in deps ? { brand: () => (deps as ModuleDeps).content.config.brand.name } : {}),
    },
    deps,
  );
}

/** Zalo OA: the app, the OA secret key and a refresh token to start from (ZALO_ACCESS_TOKEN optional). */
export const zalo: ChannelModule<typeof zaloEnv> = { id: "zalo", env: zaloEnv, off, create: build };

/** The adapter when the four variables are set, else undefined. */
export function createZaloChannel(env: ZaloEnv, deps: ChannelDeps): ZaloChannel | undefined {
  return off(env) ? undefined : build(env, deps);
}
