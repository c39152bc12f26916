import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { redisReachable } from "../helpers/redis.js";
import { type CrashOptions, crashRun } from "./helpers/crash.js";
import { claimRedisDb, redisPendingEvents, redisPendingSends } from "./helpers/redis-db.js";
import { removeDir, tempDir } from "./helpers/server-process.js";

/** Where a run keeps its state, and how to read what the killed server left in it. */
interface Place extends Pick<CrashOptions, "storeEnv" | "pendingSends" | "pendingWork"> {
  /** Said in the report next to the counts (which Redis database). */
  extra?: Record<string, unknown>;
  release(): Promise<void>;
}

interface Store {
  name: string;
  label: string;
  available: boolean;
  timeout: number;
  firstChat?: number;
  open(dir: string): Promise<Place>;
}

/** The embedded SQLite file in DATA_DIR, read directly while the server is dead. */
const embedded: Store = {
  name: "the embedded store",
  label: "crash-embedded",
  available: true,
  timeout: 150_000,
  async open(dir) {
    const dataDir = join(dir, "data");
    const read = <T>(fn: (d: Database.Database) => T): T => {
      const d = new Database(join(dataDir, "hotro.db"), { fileMustExist: true });
      try {
        return fn(d);
      } finally {
        d.close();
      }
    };
    return {
      storeEnv: { DATA_DIR: dataDir },
      pendingSends: async () =>
        read((d) =>
          (d.prepare("SELECT body FROM outbox WHERE state = 0").all() as { body: string }[]).map((r) => {
            const job = JSON.parse(r.body) as { body: { userId?: string; message?: { text?: string } } };
            return { chat: Number(job.body.userId), text: job.body.message?.text ?? "" };
          }),
        ),
      pendingWork: async () =>
        read((d) => {
          const q = (sql: string) => (d.prepare(sql).get() as { n: number }).n;
          return (
            q("SELECT count(*) AS n FROM inbox WHERE state = 0") + q("SELECT count(*) AS n FROM outbox WHERE state = 0")
          );
        }),
      release: async () => undefined,
    };
  },
};

/** Redis (REDIS_URL): Redis keeps the state, not the process; a logical database of its own. */
const redis: Store = {
  name: "Redis",
  label: "crash-redis",
  available: await redisReachable(),
  timeout: 180_000,
  firstChat: 710_000,
  async open() {
    const db = await claimRedisDb("crash-redis");
    return {
      storeEnv: { REDIS_URL: db.url },
      pendingSends: () => redisPendingSends(db.client),
      pendingWork: async () => (await redisPendingEvents(db.client)) + (await redisPendingSends(db.client)).length,
      extra: { redisDb: db.db },
      release: () => db.release(),
    };
  },
};

/**
 * Issue 7, "Must show": 200 conversations × 5 messages through the real Telegram webhook,
 * the server SIGKILLed twice and restarted on the same store; the same run on each backend.
 */
for (const store of [embedded, redis]) {
  describe.runIf(store.available)(`crash safety on ${store.name}`, () => {
    it("answers every acknowledged message once and in order across two SIGKILLs", {
      timeout: store.timeout,
    }, async () => {
      const dir = tempDir(store.label);
      const place = await store.open(dir);
      try {
        const report = await crashRun({
          label: store.label,
          storeEnv: place.storeEnv,
          logDir: dir,
          pendingSends: place.pendingSends,
          pendingWork: place.pendingWork,
          ...(store.firstChat ? { firstChat: store.firstChat } : {}),
        });
        console.log(JSON.stringify({ ...report, ...place.extra, logs: dir }, null, 1));
        expect(report.acked).toBe(report.messages);
        expect(report.kills).toHaveLength(2);
        expect(report.missing).toEqual([]);
        expect(report.unexpected).toEqual([]);
        expect(report.unexplainedDuplicates).toEqual([]);
        expect(report.outOfOrder).toEqual([]);
        expect(report.answers).toBe(report.messages + report.explainedDuplicates.length);
        removeDir(dir);
      } finally {
        await place.release();
      }
    });
  });
}
