import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Bus } from "../../ports/backend.js";

/**
 * Several processes: Redis pub/sub under the deployment's key prefix (two deployments on one
 * Redis never hear each other). One subscriber connection per process, opened on first use;
 * a publish that fails reaches at least this process's own subscribers.
 */
export class RedisBus implements Bus {
  private sub?: Redis;
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  private channel(topic: string): string {
    return `${this.prefix}bus:${topic}`;
  }

  async publish(topic: string, message: unknown): Promise<void> {
    try {
      if (this.redis.status !== "ready") throw new Error(`Redis is ${this.redis.status}`);
      await this.redis.publish(this.channel(topic), JSON.stringify(message));
    } catch (err) {
      this.log.warn(
        { topic, err: err instanceof Error ? err.message : String(err) },
        "bus: publish failed, local only",
      );
      this.local.emit(topic, message);
    }
  }

  async subscribe(topic: string, handler: (message: unknown) => void): Promise<() => Promise<void>> {
    const sub = await this.subscriber();
    this.local.on(topic, handler);
    const n = this.counts.get(topic) ?? 0;
    this.counts.set(topic, n + 1);
    if (n === 0) await sub.subscribe(this.channel(topic));
    return async () => {
      this.local.off(topic, handler);
      const left = (this.counts.get(topic) ?? 1) - 1;
      this.counts.set(topic, left);
      if (left === 0) await sub.unsubscribe(this.channel(topic)).catch(() => undefined);
    };
  }

  private async subscriber(): Promise<Redis> {
    if (this.sub) return this.sub;
    const sub = this.redis.duplicate({ lazyConnect: true });
    this.sub = sub;
    sub.on("error", (err: Error) => this.log.warn({ err: err.message }, "bus: Redis subscriber error"));
    sub.on("message", (channel: string, raw: string) => {
      const topic = channel.slice(`${this.prefix}bus:`.length);
      try {
        this.local.emit(topic, JSON.parse(raw));
      } catch {
        this.log.warn({ topic }, "bus: unreadable message dropped");
      }
    });
    await sub.connect();
    return sub;
  }

  healthy(): boolean {
    return this.redis.status === "ready" && (!this.sub || this.sub.status === "ready");
  }

  async close(): Promise<void> {
    this.sub?.disconnect();
  }
}
