import type { Keyv } from "keyv";
import type { AuditStore } from "./audit.js";
import type { DeskStore } from "./desk.js";
import type { PeopleStore } from "./people.js";
import type { QualityStore } from "./quality.js";
import type { Inbox, Outbox } from "./queue.js";
import type { RequestStore } from "./requests.js";
import type { StoredSession } from "./session.js";

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
  /** Operator accounts and console logins. */
  desk: DeskStore;
  /** The quality loop's log: conversations, ratings, content gaps, notices to leads. */
  quality: QualityStore;
  /** The operators' audit trail (hash-chained, append-only). */
  audit: AuditStore;
  /** Personal data per person: export, erasure, retention. */
  people: PeopleStore;
  inbox: Inbox;
  outbox: Outbox;
  /** A lock held across processes (Redis) or this process (embedded). */
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  /** Whether the store can be used right now (Redis connected); the embedded file always can. */
  healthy(): boolean;
  /** Pub/sub across the deployment's processes (one process: in memory). */
  bus: Bus;
  close(): Promise<void>;
}

/**
 * Messages to every process of the deployment (this one included): fire-and-forget, for
 * what must reach a socket wherever it is connected (live chat replies, the console's live
 * updates). What must not be lost goes through the inbox/outbox instead.
 */
export interface Bus {
  publish(topic: string, message: unknown): Promise<void>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribe(topic: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
  /** Whether messages reach the other processes right now. */
  healthy(): boolean;
}
