import KeyvRedis from "@keyv/redis";
import { Redis } from "ioredis";
import { Keyv } from "keyv";
import type { Logger } from "pino";
import type { Backend } from "../../ports/backend.js";
import type { StoredSession } from "../../ports/session.js";
import { outboxGroups } from "../../queue/lanes.js";
import { RedisBus } from "../bus/redis.js";
import { type BackendOptions, DEFAULT_DELIVERY, JSON_SERDE } from "../options.js";
import { RedisAuditStore } from "./audit.js";
import { redisDesk } from "./desk.js";
import { RedisLock } from "./lock.js";
import { RedisPeopleStore } from "./people.js";
import { RedisQualityStore } from "./quality.js";
import { RedisInbox, RedisOutbox } from "./queue.js";
import { RedisRequestStore } from "./requests.js";

export interface RedisBackendOptions {
  url: string;
  /** Key prefix, so several deployments (or test runs) can share one Redis. */
  prefix?: string;
  requestPrefix: string;
  log: Logger;
  /** Sends in flight at once per process, per channel and for operators' posts. */
  delivery?: BackendOptions["delivery"];
  /** Channels that get a delivery queue of their own (others share one). */
  channelIds?: readonly string[];
}

/**
 * State, requests and queues on Redis, for several server processes behind one load
 * balancer. Sessions go through keyv (`@keyv/redis`); queues through BullMQ (ioredis).
 */
export function redisBackend(o: RedisBackendOptions): Backend & { redis: Redis } {
  const prefix = o.prefix ?? "hotro:";
  const redis = new Redis(o.url, { maxRetriesPerRequest: 3, enableOfflineQueue: true, lazyConnect: false });
  redis.on("error", (err) => o.log.warn({ err: err.message }, "redis connection error"));
  const store = (namespace: string) => {
    // throwOnErrors: a failed write must fail the turn (and be retried), not vanish.
    const adapter = new KeyvRedis(o.url, {
      namespace: `${prefix}${namespace}`,
      throwOnErrors: true,
      throwOnConnectError: true,
    });
    return new Keyv({ store: adapter, namespace: `${prefix}${namespace}`, useKeyPrefix: false, ...JSON_SERDE });
  };
  const sessions = store("session") as Keyv<StoredSession>;
  const kv = store("kv");
  const lock = new RedisLock(redis);
  const bus = new RedisBus(redis, prefix, o.log);
  const inbox = new RedisInbox(redis, prefix, o.log);
  let closed = false;
  const outbox = new RedisOutbox(redis, prefix, o.log, 8, 64, {
    ...outboxGroups(o.delivery ?? DEFAULT_DELIVERY),
    known: [...(o.channelIds ?? []), "cli", "ops"],
  });
  return {
    kind: "redis",
    redis,
    sessions,
    kv,
    requests: new RedisRequestStore(redis, prefix, o.requestPrefix),
    desk: redisDesk(redis, prefix),
    quality: new RedisQualityStore(redis, prefix),
    audit: new RedisAuditStore(redis, prefix),
    people: new RedisPeopleStore(redis, prefix),
    inbox,
    outbox,
    withLock: (name, ttlMs, fn) => lock.with(`${prefix}lock:${name}`, ttlMs, fn),
    // QUIT is answered while the socket is still "ready": closed is not healthy, whatever ioredis says.
    healthy: () => !closed && redis.status === "ready",
    bus,
    async close() {
      closed = true;
      await Promise.allSettled([sessions.disconnect(), kv.disconnect(), bus.close()]);
      await redis.quit().catch(() => undefined);
    },
  };
}
