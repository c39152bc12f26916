import { messenger } from "./messenger/index.js";
import type { ChannelModule } from "./module.js";
import { telegram } from "./telegram/index.js";
import { webchat } from "./webchat/index.js";
import { zalo } from "./zalo/index.js";

/**
 * Every channel the server can run, one line each. A new channel is its folder (the same
 * files as these), one line here, and its fixtures.
 */
export const channelModules = [telegram, messenger, zalo, webchat] as const satisfies readonly ChannelModule[];
