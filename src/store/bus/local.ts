import { EventEmitter } from "node:events";
import type { Bus } from "../../ports/backend.js";

/** One process: a message reaches this process's subscribers, synchronously. */
export class LocalBus implements Bus {
  private readonly events = new EventEmitter().setMaxListeners(0);

  async publish(topic: string, message: unknown): Promise<void> {
    this.events.emit(topic, message);
  }

  async subscribe(topic: string, handler: (message: unknown) => void): Promise<() => Promise<void>> {
    this.events.on(topic, handler);
    return async () => {
      this.events.off(topic, handler);
    };
  }

  healthy(): boolean {
    return true;
  }
}
