import { randomUUID } from "node:crypto";
import { afterAll, describe } from "vitest";
import { createLogger } from "../../src/config/log.js";
import { redisBackend } from "../../src/store/redis/backend.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";
import { runStoreContract } from "./store.contract.js";

// Under CI=true an unreachable Redis throws here: the file fails instead of skipping.
const available = await redisReachable();

describe.runIf(available)("on Redis", () => {
  const base = `hotro-test:contract:${randomUUID().slice(0, 8)}:`;
  afterAll(() => flushPrefix(base));

  runStoreContract({
    name: "redis",
    makeBackend: (place, requestPrefix) =>
      redisBackend({ url: redisUrl(), prefix: `${base}${place}:`, requestPrefix, log: createLogger("silent") }),
  });
});
