import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisReachable } from "../helpers/redis.js";
import { crashRun } from "./helpers/crash.js";
import { claimRedisDb, type RedisDb, redisPendingEvents, redisPendingSends } from "./helpers/redis-db.js";
import { removeDir, tempDir } from "./helpers/server-process.js";

const available = await redisReachable();

/** The crash test again, the server on Redis (REDIS_URL): Redis keeps the state, not the process. */
describe.runIf(available)("crash safety on Redis", () => {
  let redis: RedisDb;
  beforeAll(async () => {
    redis = await claimRedisDb("crash-redis");
  });
  afterAll(() => redis?.release());

  it("answers every acknowledged message once and in order across two SIGKILLs", { timeout: 180_000 }, async () => {
    const dir = tempDir("crash-redis");
    const report = await crashRun({
      label: "crash-redis",
      storeEnv: { REDIS_URL: redis.url },
      logDir: dir,
      firstChat: 710_000,
      pendingSends: () => redisPendingSends(redis.client),
      pendingWork: async () =>
        (await redisPendingEvents(redis.client)) + (await redisPendingSends(redis.client)).length,
    });
    console.log(JSON.stringify({ ...report, redisDb: redis.db, logs: dir }, null, 1));
    expect(report.acked).toBe(report.messages);
    expect(report.kills).toHaveLength(2);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.unexplainedDuplicates).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect(report.answers).toBe(report.messages + report.explainedDuplicates.length);
    removeDir(dir);
  });
});
