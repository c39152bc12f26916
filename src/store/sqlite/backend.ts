import { Keyv } from "keyv";
import type { Logger } from "pino";
import type { Backend } from "../../ports/backend.js";
import type { StoredSession } from "../../ports/session.js";
import { outboxGroups } from "../../queue/lanes.js";
import { LocalBus } from "../bus/local.js";
import { type BackendOptions, DEFAULT_DELIVERY, JSON_SERDE } from "../options.js";
import { SqliteAuditStore } from "./audit.js";
import { WriteBatch } from "./batch.js";
import { type Db, openDb } from "./db.js";
import { sqliteDesk } from "./desk.js";
import { SqliteKeyvStore } from "./keyv.js";
import { SqlitePeopleStore } from "./people.js";
import { SqliteQualityStore } from "./quality.js";
import { SqliteInbox, SqliteOutbox } from "./queue.js";
import { SqliteRequestStore } from "./requests.js";

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
    desk: sqliteDesk(db, batch),
    quality: new SqliteQualityStore(db, batch),
    audit: new SqliteAuditStore(db, batch),
    people: new SqlitePeopleStore(db, batch),
    inbox: new SqliteInbox(db, batch, log),
    outbox: new SqliteOutbox(db, batch, log, 8, outboxGroups(opts.delivery ?? DEFAULT_DELIVERY)),
    healthy: () => db.open,
    bus: new LocalBus(),
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
