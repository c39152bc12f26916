import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** Prometheus metrics, one registry per app so tests can build several apps in one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesIn = new Counter({
    name: "hotro_messages_in_total",
    help: "Events accepted from users, per channel",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: "hotro_duplicates_total",
    help: "Redelivered events acknowledged and dropped, per channel",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly messagesOut = new Counter({
    name: "hotro_messages_out_total",
    help: "Messages delivered, per channel and outcome",
    labelNames: ["channel", "outcome"],
    registers: [this.registry],
  });
  readonly intents = new Counter({
    name: "hotro_intents_total",
    help: "Messages matched, per intent (none = fallback, clarify = did-you-mean)",
    labelNames: ["intent"],
    registers: [this.registry],
  });
  readonly fallbacks = new Counter({
    name: "hotro_fallbacks_total",
    help: "Messages not understood, per channel",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly turnSeconds = new Histogram({
    name: "hotro_turn_seconds",
    help: "From event recorded to actions queued",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly deliverySeconds = new Histogram({
    name: "hotro_delivery_seconds",
    help: "Platform send API call duration, per channel",
    labelNames: ["channel"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly requestsCreated = new Counter({
    name: "hotro_requests_created_total",
    help: "Support requests filed, per channel and priority",
    labelNames: ["channel", "priority"],
    registers: [this.registry],
  });
  readonly handoffs = new Counter({
    name: "hotro_handoffs_total",
    help: "Conversations handed to people (a request escalated), per channel",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly deliveryFailures = new Counter({
    name: "hotro_delivery_failures_total",
    help: "Messages that could not be delivered for good, per channel and reason (window_closed, blocked, auth, other)",
    labelNames: ["channel", "reason"],
    registers: [this.registry],
  });
  readonly webhookRejected = new Counter({
    name: "hotro_webhook_rejected_total",
    help: "Webhook calls refused for a missing or wrong signature or secret, per channel",
    labelNames: ["channel"],
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: "hotro_" });
  }
}
