import { autoRetry } from "@grammyjs/auto-retry";
import type { Transformer } from "grammy";
import { Agent, fetch as undiciFetch } from "undici";

/** How long one Bot API call may take (long polling's getUpdates excepted: it waits on purpose). */
export const CALL_TIMEOUT_MS = 10_000;

/**
 * Every call but getUpdates ends within `ms`: a Bot API that accepts connections and never
 * answers (blocked networks black-hole it) must not hold an outbox worker. The abort makes
 * grammY throw an HttpError, which the outbox retries with backoff.
 */
export function boundedCalls(ms = CALL_TIMEOUT_MS): Transformer {
  return (prev, method, payload, signal) => {
    if (method === "getUpdates") return prev(method, payload, signal);
    const deadline = AbortSignal.timeout(ms);
    // grammY types its signal as the abort-controller polyfill's; Node's native one works.
    const bounded = signal ? AbortSignal.any([signal as unknown as AbortSignal, deadline]) : deadline;
    return prev(method, payload, bounded as unknown as typeof signal);
  };
}

/**
 * Inside a call, only a short 429 is waited out (once, at most 3 s); network errors and 5xx
 * are thrown at once, so every longer retry is an outbox retry: counted, backed off, logged
 * and measured. (auto-retry's defaults retry network errors forever, waits growing to an
 * hour, inside one send.)
 */
export function shortRetries(): Transformer {
  return autoRetry({
    maxRetryAttempts: 1,
    maxDelaySeconds: 3,
    rethrowHttpErrors: true,
    rethrowInternalServerErrors: true,
  });
}

/**
 * grammY's default client is node-fetch with a polyfilled AbortSignal, which undici's fetch
 * does not accept: link it to a native one, and send through the keep-alive pool.
 */
export function pooledFetch(agent: Agent): typeof fetch {
  return ((
    url: string,
    init: { signal?: { aborted: boolean; addEventListener: (t: string, f: () => void) => void }; body?: unknown },
  ) => {
    const { signal, ...rest } = init ?? {};
    const ctrl = new AbortController();
    if (signal) {
      if (signal.aborted) ctrl.abort();
      else signal.addEventListener("abort", () => ctrl.abort());
    }
    const streamed =
      rest.body !== undefined && typeof rest.body === "object" && rest.body !== null && "pipe" in rest.body;
    return undiciFetch(url, {
      ...rest,
      signal: ctrl.signal,
      dispatcher: agent,
      ...(streamed ? { duplex: "half" } : {}),
    } as never);
  }) as unknown as typeof fetch;
}

/** A keep-alive pool for the Bot API; connecting gives up after 5 s (a refused or black-holed host). */
export function botApiAgent(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections: 64, connect: { timeout: 5_000 } });
}
