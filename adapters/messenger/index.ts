import type { ChannelDeps } from "../../src/ports/channel.js";
import { type ChannelModule, type Matched, type ModuleDeps, missing } from "../module.js";
import { MessengerChannel, type MessengerOptions } from "./channel.js";
import { type MessengerEnv, messengerEnv } from "./env.js";

const off = (env: MessengerEnv) =>
  missing(env, ["MESSENGER_PAGE_ACCESS_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"]);

function build(
  env: MessengerEnv,
  deps: ChannelDeps & Partial<Pick<ModuleDeps, "content" | "match">>,
): MessengerChannel {
  const o: MessengerOptions = {
    pageAccessToken: env.MESSENGER_PAGE_ACCESS_TOKEN ?? "",
    appSecret: env.MESSENGER_APP_SECRET ?? "",
    verifyToken: env.MESSENGER_VERIFY_TOKEN ?? "",
    appId: env.MESSENGER_APP_ID,
    graphUrl: env.MESSENGER_GRAPH_URL,
    deps,
    inboxPrimary: env.MESSENGER_INBOX_PRIMARY,
    inboxAppId: env.MESSENGER_INBOX_APP_ID,
    takeThread: env.MESSENGER_TAKE_THREAD,
    humanAgent: env.MESSENGER_HUMAN_AGENT,
    operatorName: env.MESSENGER_OPERATOR_NAME,
    personaPictureUrl: env.MESSENGER_PERSONA_PICTURE_URL,
    markSeen: env.MESSENGER_MARK_SEEN,
    comments: env.MESSENGER_COMMENTS,
  };
  // Read at each use: a content reload reaches the comment replies' texts.
  if (deps.content) o.content = () => (deps as ModuleDeps).content;
  if (deps.match) {
    const match = deps.match.bind(deps);
    o.match = (text: string): Matched => match(text);
  }
  return new MessengerChannel(o);
}

/** Facebook Messenger: the Page token, the app secret and the verify token. */
export const messenger: ChannelModule<typeof messengerEnv> = { id: "messenger", env: messengerEnv, off, create: build };

/** The adapter when the three variables are set, else undefined. */
export function createMessengerChannel(env: MessengerEnv, deps: ChannelDeps): MessengerChannel | undefined {
  return off(env) ? undefined : build(env, deps);
}
