import type { Bus } from "../../src/ports/backend.js";
import type { ChannelHealth } from "../../src/ports/channel.js";
import type { ServerFrame } from "./types.js";

/** Hands a frame to this process's open sockets of one visitor. */
export type ToLocalSockets = (visitor: string, frame: ServerFrame) => void;

const TOPIC = "webchat";

/**
 * How a frame reaches the visitor's sockets wherever they are connected: the outbox worker
 * that sends a reply may not be the process holding the socket, so frames go over the
 * backend's bus (in memory with one process, Redis pub/sub under the deployment's prefix with
 * several) and every process delivers to the sockets it holds. The bus is fire-and-forget;
 * the history in the kv store is what makes it right: a browser that missed a frame (or was
 * offline) gets the history again when it reconnects.
 */
export class Fanout {
  private unsubscribe?: () => Promise<void>;

  constructor(
    private readonly bus: Bus,
    private readonly toLocalSockets: ToLocalSockets,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(TOPIC, (m) => {
      const { visitor, frame } = (m ?? {}) as { visitor?: unknown; frame?: ServerFrame };
      if (typeof visitor === "string" && frame) this.toLocalSockets(visitor, frame);
    });
  }

  async publish(visitor: string, frame: ServerFrame): Promise<void> {
    await this.bus.publish(TOPIC, { visitor, frame });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  health(): ChannelHealth {
    return this.bus.healthy()
      ? { ok: true }
      : { ok: false, state: "unreachable", reason: "webchat: the bus is down (live replies across processes wait)" };
  }
}
