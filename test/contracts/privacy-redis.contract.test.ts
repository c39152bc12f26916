import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, describe } from "vitest";
import { createLogger } from "../../src/config/log.js";
import { redisBackend } from "../../src/store/redis/backend.js";
import { redisContains } from "../helpers/raw-store.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";
import { runPrivacyContract } from "./privacy.contract.js";

// Under CI=true an unreachable Redis throws here: the file fails instead of skipping.
const available = await redisReachable();

describe.runIf(available)("on Redis", () => {
  const base = `hotro-test:privacy:${randomUUID().slice(0, 8)}:`;
  afterAll(() => flushPrefix(base));
  const prefixes = new Map<unknown, string>();

  runPrivacyContract({
    name: "redis",
    makeBackend: (place) => {
      const b = redisBackend({
        url: redisUrl(),
        prefix: `${base}${place}:`,
        requestPrefix: "TK",
        log: createLogger("silent"),
      });
      prefixes.set(b, `${base}${place}:`);
      return b;
    },
    rawHits: (place, needle) => redisContains(`${base}${place}:`, needle),
    tamper: async (b, seq, edit) => {
      const redis = (b as unknown as { redis: Redis }).redis;
      const key = `${prefixes.get(b)}audit:log`;
      const all = await redis.lrange(key, 0, -1);
      const i = all.findIndex((raw) => (JSON.parse(raw) as { seq: number }).seq === seq);
      const e = JSON.parse(all[i] ?? "{}") as Record<string, unknown>;
      edit(e);
      await redis.lset(key, i, JSON.stringify(e));
    },
  });
});
