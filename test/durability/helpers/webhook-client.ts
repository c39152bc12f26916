import type { Update } from "grammy/types";
import { Agent, fetch } from "undici";
import { SECRET, sleep } from "./server-process.js";

export interface DeliveryStats {
  /** Updates acknowledged with 200. */
  acked: number;
  /** Attempts that got no 200: connection refused or reset while a server was down, or an error status. */
  failedAttempts: number;
  /** Statuses other than 200 seen, by status. */
  statuses: Record<string, number>;
}

/**
 * Posts updates to /webhooks/telegram the way Telegram does: an update that gets no 200
 * (connection refused, reset, timeout, 5xx) is sent again, same update_id, until one
 * answers 200.
 */
export class WebhookClient {
  readonly stats: DeliveryStats = { acked: 0, failedAttempts: 0, statuses: {} };
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 4_000, connect: { timeout: 2_000 } });

  /** `target(attempt)` picks the server for each attempt (one process, or a "load balancer"). */
  async deliver(update: Update, target: (attempt: number) => string, giveUpMs = 90_000): Promise<void> {
    const deadline = Date.now() + giveUpMs;
    for (let attempt = 0; ; attempt++) {
      const status = await this.post(target(attempt), update);
      if (status === 200) {
        this.stats.acked++;
        return;
      }
      this.stats.failedAttempts++;
      const key = String(status);
      this.stats.statuses[key] = (this.stats.statuses[key] ?? 0) + 1;
      if (Date.now() > deadline) throw new Error(`update ${update.update_id} never acknowledged (last: ${status})`);
      await sleep(100 + Math.random() * 150);
    }
  }

  /** One attempt; resolves with the HTTP status, or 0 when no answer came. */
  async post(baseUrl: string, body: unknown, path = "/webhooks/telegram"): Promise<number> {
    try {
      const r = await fetch(`${baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(body),
        dispatcher: this.agent,
        signal: AbortSignal.timeout(5_000),
      });
      await r.arrayBuffer();
      return r.status;
    } catch {
      return 0;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
