import { randomUUID } from "node:crypto";
import { CLI_CAPABILITIES } from "../../src/ports/capabilities.js";
import type { ChannelAdapter } from "../../src/ports/channel.js";
import type { InboundEvent, OutboundMessage } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";

/**
 * One line typed in the terminal → its event: always a message (typing a number picks a
 * quick reply, which the engine maps back to its payload). Each line gets an id of its own:
 * nothing ever delivers a line twice.
 */
export function lineEvent(userId: string, text: string, now = Date.now()): InboundEvent {
  return { id: `cli:${randomUUID()}`, channel: "cli", userId, timestamp: now, kind: "message", text };
}

/** The terminal: quick replies become numbered choices (typing the number picks one). */
export class CliChannel implements ChannelAdapter {
  readonly id = "cli" as const;
  readonly name = "CLI";
  readonly capabilities = CLI_CAPABILITIES;

  constructor(private readonly print: (message: OutboundMessage, job: SendJob) => void) {}

  async send(job: SendJob): Promise<SendOutcome> {
    this.print(job.message, job);
    return { ok: true };
  }

  health() {
    return { ok: true };
  }
}

export function formatForTerminal(m: OutboundMessage): string {
  const lines: string[] = [];
  const who = m.from?.kind === "operator" ? `${m.from.name}` : "bot";
  if (m.text) lines.push(...m.text.split("\n").map((l, i) => (i === 0 ? `${who}> ${l}` : `     ${l}`)));
  for (const b of m.buttons ?? [])
    lines.push(`     [${b.label}] ${b.type === "url" ? b.url : b.type === "phone" ? b.phone : ""}`.trimEnd());
  for (const [i, q] of (m.quickReplies ?? []).entries()) lines.push(`     ${i + 1}) ${q.label}`);
  if (m.image) lines.push(`     (image) ${m.image.url}`);
  return lines.join("\n");
}
