import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ChannelHealth } from "../../src/ports/channel.js";
import type { ServerFrame } from "./types.js";

/** Hands a frame to this process's open sockets of one visitor. */
export type Deliver = (visitor: string, frame: ServerFrame) => void;

/**
 * How a frame reaches the visitor's sockets wherever they are connected. One process: directly.
 * Several (REDIS_URL): the outbox worker that sends a reply may not be the process holding the
 * visitor's socket, so frames go through Redis pub/sub and every process delivers to the sockets
 * it holds. Pub/sub is fire-and-forget; the history in the kv store is what makes it right: a
 * browser that missed a frame (or was offline) gets the history again when it reconnects.
 */
export interface Fanout {
  start(): Promise<void>;
  publish(visitor: string, frame: ServerFrame): Promise<void>;
  stop(): Promise<void>;
  health(): ChannelHealth;
}

export class LocalFanout implements Fanout {
  constructor(private readonly deliver: Deliver) {}
  async start(): Promise<void> {}
  async publish(visitor: string, frame: ServerFrame): Promise<void> {
    this.deliver(visitor, frame);
  }
  async stop(): Promise<void> {}
  health(): ChannelHealth {
    return { ok: true };
  }
}

export class RedisFanout implements Fanout {
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(
    url: string,
    private readonly channel: string,
    private readonly log: Logger,
    private readonly deliver: Deliver,
  ) {
    this.pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.sub = new Redis(url, { lazyConnect: true });
    for (const r of [this.pub, this.sub]) {
      r.on("error", (err: Error) => this.log.warn({ err: err.message }, "webchat: Redis pub/sub error"));
    }
  }

  async start(): Promise<void> {
    this.sub.on("message", (_channel: string, raw: string) => {
      try {
        const { visitor, frame } = JSON.parse(raw) as { visitor: string; frame: ServerFrame };
        this.deliver(visitor, frame);
      } catch (err) {
        this.log.warn({ err }, "webchat: unreadable pub/sub message dropped");
      }
    });
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.channel);
  }

  async publish(visitor: string, frame: ServerFrame): Promise<void> {
    try {
      if (this.pub.status !== "ready") throw new Error(`Redis is ${this.pub.status}`);
      await this.pub.publish(this.channel, JSON.stringify({ visitor, frame }));
    } catch (err) {
      // Reach at least the sockets of this process; the others see it in the history on reconnect.
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "webchat: publish failed, local only");
      this.deliver(visitor, frame);
    }
  }

  async stop(): Promise<void> {
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }

  health(): ChannelHealth {
    return this.sub.status === "ready"
      ? { ok: true }
      : { ok: false, reason: `webchat: Redis pub/sub is ${this.sub.status} (live replies across processes wait)` };
  }
}
