import { Keyv } from "keyv";
import type { Logger } from "pino";
import type { Inbox, Outbox } from "../../ports/queue.js";
import { outboxGroups } from "../../queue/lanes.js";
import type { StoredSession } from "../../runtime/runtime.js";
import { WriteBatch } from "./batch.js";
import { type Db, openDb } from "./db.js";
import { SqliteKeyvStore } from "./keyv.js";
import { SqliteInbox, SqliteOutbox } from "./queue.js";
import { type RequestStore, SqliteRequestStore } from "./requests.js";

/**
 * Everything that differs between the embedded deployment (SQLite in DATA_DIR) and the
 * scaled-out one (Redis): state through keyv, requests, the inbox and the outbox.
 */
export interface Backend {
  kind: "embedded" | "memory" | "redis";
  sessions: Keyv<StoredSession>;
  /** Small shared values: channel tokens, callback payloads, user profiles. */
  kv: Keyv;
  requests: RequestStore;
  inbox: Inbox;
  outbox: Outbox;
  /** A lock held across processes (Redis) or this process (embedded). */
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  /** Whether the store can be used right now (Redis connected); the embedded file always can. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** keyv's default serializer costs ~50 µs a round trip; sessions are plain JSON (performance.md). */
export const JSON_SERDE = { serialize: JSON.stringify, deserialize: JSON.parse } as const;

/** Settings both backends take from config. */
export interface BackendOptions {
  /** Sends in flight at once, per channel and for operators' posts (config/limits.yaml `delivery`). */
  delivery?: { per_channel: number; operators: number };
}

export const DEFAULT_DELIVERY = { per_channel: 16, operators: 8 } as const;

export function embeddedBackend(
  dataDir: string | ":memory:",
  log: Logger,
  requestPrefix: string,
  opts: BackendOptions = {},
): Backend & { db: Db } {
  const db = openDb(dataDir);
  const batch = new WriteBatch(db);
  const store = (namespace: string) => {
    const s = new SqliteKeyvStore(db, batch);
    return new Keyv({ store: s, namespace, ...JSON_SERDE });
  };
  const locks = new Map<string, Promise<unknown>>();
  return {
    kind: dataDir === ":memory:" ? "memory" : "embedded",
    db,
    sessions: store("session") as Keyv<StoredSession>,
    kv: store("kv"),
    requests: new SqliteRequestStore(db, batch, requestPrefix),
    inbox: new SqliteInbox(db, batch, log),
    outbox: new SqliteOutbox(db, batch, log, 8, outboxGroups(opts.delivery ?? DEFAULT_DELIVERY)),
    healthy: () => db.open,
    // One process owns the embedded file, so an in-process chain is a lock.
    async withLock<T>(name: string, _ttl: number, fn: () => Promise<T>): Promise<T> {
      const prev = locks.get(name) ?? Promise.resolve();
      const run = prev.then(fn, fn);
      locks.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
    async close() {
      batch.flush();
      db.close();
    },
  };
}
