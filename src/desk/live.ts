import type { Bus } from "../ports/backend.js";
import { DESK_TOPIC } from "../ports/desk.js";
import type { RequestRecord, RequestStore, TranscriptEntry } from "../ports/requests.js";

/** What the consoles are told as it happens (then they fetch what they show). */
export type LiveEvent =
  | { type: "request"; change: "created" | "updated"; request: RequestRecord }
  | { type: "entry"; requestId: string; entry: TranscriptEntry }
  | { type: "presence"; online: { name: string; displayName: string }[] }
  | { type: "canned" }
  /** A notice for the leads (src/quality/notices.ts). */
  | { type: "notice"; notice: { key: string; type: string; at: number; requestId?: string; text: string } };

/**
 * The request store, telling the consoles about every change it makes: whichever process
 * makes it (a webhook's turn, the Telegram group's action, a console's note) publishes on the
 * backend's bus, and every process passes it to the consoles connected to it. A lost message
 * costs nothing lasting: consoles fetch again when they reconnect, and now and then anyway.
 */
export function observedRequests(store: RequestStore, bus: Bus, onError: (err: unknown) => void): RequestStore {
  const publish = (e: LiveEvent) => {
    bus.publish(DESK_TOPIC, e).catch(onError);
  };
  return {
    async create(r, now) {
      const rec = await store.create(r, now);
      publish({ type: "request", change: "created", request: rec });
      return rec;
    },
    get: (id) => store.get(id),
    async update(id, patch, now) {
      const rec = await store.update(id, patch, now);
      if (rec) publish({ type: "request", change: "updated", request: rec });
      return rec;
    },
    async append(id, lineKey, entry) {
      await store.append(id, lineKey, entry);
      publish({ type: "entry", requestId: id, entry });
    },
    transcript: (id) => store.transcript(id),
    list: (f) => store.list(f),
  };
}

export const publishLive = (bus: Bus, e: LiveEvent) => bus.publish(DESK_TOPIC, e);
