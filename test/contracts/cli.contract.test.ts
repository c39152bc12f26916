import { CliChannel, lineEvent } from "../../adapters/cli/index.js";
import type { Content } from "../../src/content/types.js";
import type { OutboundMessage } from "../../src/ports/message.js";
import type { SendJob } from "../../src/ports/queue.js";
import { harness } from "../helpers/harness.js";
import { type ChannelRig, runChannelContract } from "./channel.contract.js";

/** The terminal chat (`npm run chat`): its channel prints, and each typed line becomes an event. */
async function cliRig(content: Content): Promise<ChannelRig> {
  const printed: { message: OutboundMessage; job: SendJob; at: number }[] = [];
  const adapter = new CliChannel((message, job) => printed.push({ message, job, at: Date.now() }));
  const h = await harness({ content, channels: [adapter] });
  let n = 0;
  return {
    h,
    adapter,
    // A terminal takes any length; the capability is the only limit.
    limits: { text: adapter.capabilities.maxTextLength },
    user: async () => `terminal-${++n}`,
    async deliver(payload) {
      const { user, line } = payload as { user: string; line: string };
      // What src/cli/chat.ts does with each line it reads.
      await h.hotro.runtime.accept([lineEvent(user, line)]);
      return 200;
    },
    sent: (user) =>
      printed
        .filter((p) => p.job.userId === user)
        .map(({ message: m, at }) => ({
          at,
          ok: true,
          quickReplies: (m.quickReplies ?? []).map((q) => q.label),
          ...(m.text !== undefined ? { text: m.text } : {}),
          ...(m.image ? { image: m.image.url } : {}),
        })),
    close: () => h.close(),
  };
}

runChannelContract({
  name: "cli",
  make: cliRig,
  fixtures: { text: (user, line) => ({ user, line }) },
  skip: {
    "bad signature": "cli has no webhook: the terminal's own user types the lines",
    redelivery: "a terminal line is read once and gets an id of its own: nothing delivers it twice",
    postback: "no buttons in a terminal: typing a quick reply's number is a message, which the engine maps",
    start: "no first-contact event: the terminal's first line is a message",
    attachment: "a terminal line is text only",
    "rate limit": "no platform behind the terminal to limit anything",
    "permanent error": "no platform behind the terminal to refuse a message",
    "stuck platform": "printing to the terminal cannot hang on a platform",
  },
});
