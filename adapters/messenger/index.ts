import type { ChannelDeps } from "../../src/ports/channel.js";
import { type ChannelModule, missing } from "../module.js";
import { MessengerChannel } from "./channel.js";
import { type MessengerEnv, messengerEnv } from "./env.js";

const off = (env: MessengerEnv) =>
  missing(env, ["MESSENGER_PAGE_ACCESS_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"]);

function build(env: MessengerEnv, deps: ChannelDeps): MessengerChannel {
  return new MessengerChannel({
    pageAccessToken: env.MESSENGER_PAGE_ACCESS_TOKEN ?? "",
    appSecret: env.MESSENGER_APP_SECRET ?? "",
    verifyToken: env.MESSENGER_VERIFY_TOKEN ?? "",
    appId: env.MESSENGER_APP_ID,
    graphUrl: env.MESSENGER_GRAPH_URL,
    deps,
  });
}

/** Facebook Messenger: the Page token, the app secret and the verify token. */
export const messenger: ChannelModule<typeof messengerEnv> = { id: "messenger", env: messengerEnv, off, create: build };

/** The adapter when the three variables are set, else undefined. */
export function createMessengerChannel(env: MessengerEnv, deps: ChannelDeps): MessengerChannel | undefined {
  return off(env) ? undefined : build(env, deps);
}
