import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { createLogger } from "../../src/config/log.js";
import type { Content } from "../../src/content/types.js";
import { type ChannelCapabilities, CLI_CAPABILITIES } from "../../src/ports/capabilities.js";
import type { ChannelAdapter } from "../../src/ports/channel.js";
import type { Attachment, ChannelId, InboundEvent, OutboundMessage } from "../../src/ports/message.js";
import type { OperatorsPort, RoutedControl } from "../../src/ports/operators.js";
import type { OpsJob, SendJob, SendOutcome } from "../../src/ports/queue.js";
import { parseEnv } from "../../src/root/env.js";
import { type AppOptions, buildApp, type Hotro } from "../../src/server/app.js";
import { redisBackend } from "../../src/store/redis/backend.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { shippedContent } from "./content.js";
import { redisUrl } from "./redis.js";

/** A channel that records what it is asked to send. */
export class CaptureChannel implements ChannelAdapter {
  readonly sent: SendJob[] = [];
  get name(): string {
    return this.id;
  }
  constructor(
    readonly id: ChannelId,
    readonly capabilities: ChannelCapabilities = CLI_CAPABILITIES,
  ) {}
  async send(job: SendJob): Promise<SendOutcome> {
    this.sent.push(job);
    return { ok: true };
  }
  health() {
    return { ok: true };
  }
}

/** Operators' side that records jobs instead of calling Telegram. */
export class CaptureOperators implements OperatorsPort {
  readonly jobs: OpsJob[] = [];
  async run(job: OpsJob): Promise<SendOutcome> {
    this.jobs.push(job);
    return { ok: true };
  }
  async handleUpdate(): Promise<RoutedControl[]> {
    return [];
  }
}

export interface HarnessOptions {
  content?: Content;
  /** Run on Redis (REDIS_URL or 127.0.0.1:6379) under this key prefix instead of in-memory SQLite. */
  redisPrefix?: string;
  /** Share a recording channel between several apps (scale-out tests). */
  cli?: CaptureChannel;
  operators?: boolean;
  now?: () => Date;
  channels?: ChannelAdapter[];
  /** Build channels that need the app's store (kv, locks): see `channelDeps`. */
  makeChannels?: AppOptions["makeChannels"];
  /** A real operators' side instead of the recording one. */
  makeOperators?: AppOptions["makeOperators"];
  /** Extra route plugins (the operator API). */
  plugins?: AppOptions["plugins"];
  /** An embedded store in this directory (restart tests) instead of in-memory SQLite. */
  dataDir?: string;
  env?: Record<string, string>;
}

export interface Harness {
  hotro: Hotro;
  cli: CaptureChannel;
  ops: CaptureOperators;
  /** Everything pino wrote, for secret-leak assertions. */
  logs: string[];
  /** What the last turn was matched to (intent id, `none`, `clarify`). */
  last: { intent?: string; zone?: string };
  /** Send one user message; resolves with the messages the bot delivered for that turn. */
  say(
    text: string,
    opts?: { user?: string; channel?: ChannelId; attachments?: Attachment[]; payload?: string },
  ): Promise<OutboundMessage[]>;
  event(e: Partial<InboundEvent> & { userId: string }): Promise<OutboundMessage[]>;
  close(): Promise<void>;
}

/** The real app (runtime, engine, store) on an in-memory SQLite, with recording channels. */
export async function harness(opts: HarnessOptions = {}): Promise<Harness> {
  const content = opts.content ?? shippedContent();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const log = createLogger("debug", sink);
  const cli = opts.cli ?? new CaptureChannel("cli");
  const ops = new CaptureOperators();
  const turns = new Map<string, (n: number) => void>();
  const last: { intent?: string; zone?: string } = {};
  const backend = opts.redisPrefix
    ? redisBackend({
        url: redisUrl(),
        prefix: opts.redisPrefix,
        requestPrefix: content.config.brand.request_prefix,
        log,
        delivery: content.config.delivery,
      })
    : embeddedBackend(opts.dataDir ?? ":memory:", log, content.config.brand.request_prefix, {
        delivery: content.config.delivery,
      });
  const env = parseEnv({ DATA_DIR: opts.dataDir ?? ":memory:", ...(opts.env ?? {}) });
  const all = [cli, ...(opts.channels ?? [])];
  const hotro = await buildApp({
    env,
    logger: log,
    content,
    backend,
    channels: all,
    ...(opts.makeChannels ? { makeChannels: opts.makeChannels } : {}),
    ...(opts.makeOperators
      ? { makeOperators: opts.makeOperators }
      : opts.operators
        ? { makeOperators: () => ops }
        : {}),
    ...(opts.plugins ? { plugins: opts.plugins } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    onTurn: (item, jobs, result) => {
      if (!turns.has(item.key)) return;
      delete last.intent;
      delete last.zone;
      Object.assign(last, result);
      turns.get(item.key)?.(jobs.filter((j) => j.body.kind === "send").length);
    },
  });
  const sentFor = (channel: ChannelId) => (all.find((c) => c.id === channel) as CaptureChannel | undefined)?.sent ?? [];

  const event = async (e: Partial<InboundEvent> & { userId: string }): Promise<OutboundMessage[]> => {
    const channel = e.channel ?? "cli";
    const full: InboundEvent = {
      id: `${channel}:${randomUUID()}`,
      channel,
      timestamp: Date.now(),
      kind: "message",
      ...e,
    };
    const conv = `${channel}:${full.userId}`;
    const list = sentFor(channel);
    const before = list.length;
    const done = new Promise<number>((resolve) => turns.set(full.id, resolve));
    await hotro.runtime.accept([full]);
    const n = await Promise.race([
      done,
      new Promise<number>((_, rej) => setTimeout(() => rej(new Error("turn timed out")), 5000)),
    ]);
    const deadline = Date.now() + 5000;
    const mine = () => list.slice(before).filter((j) => j.conv === conv);
    while (mine().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    turns.delete(full.id);
    return mine().map((j) => j.message);
  };

  return {
    hotro,
    cli,
    ops,
    logs,
    last,
    event,
    say: (text, o = {}) => {
      const e: Partial<InboundEvent> & { userId: string } = {
        userId: o.user ?? "u1",
        channel: o.channel ?? "cli",
        text,
      };
      if (o.attachments) e.attachments = o.attachments;
      if (o.payload) {
        e.payload = o.payload;
        e.kind = "postback";
      }
      return event(e);
    },
    close: () => hotro.close(),
  };
}

/** All text of a turn's messages, joined (for `contains` assertions). */
export const textOf = (ms: OutboundMessage[]) => ms.map((m) => m.text ?? "").join("\n");
export const choicesOf = (ms: OutboundMessage[]) => ms.flatMap((m) => m.quickReplies ?? []);
