import { browserAvailable, CHROMIUM } from "../helpers/browser.js";
import { redisReachable, redisUrl } from "../helpers/redis.js";

/**
 * Before any test file: say which suites will be skipped on this machine and how to enable
 * them, once, at the top of the run. Under CI=true a missing browser or Redis fails the run
 * here instead (`.ci/run` provides both).
 */
export default async function environment(): Promise<void> {
  const skipped: string[] = [];
  if (!browserAvailable()) skipped.push(`browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!(await redisReachable()))
    skipped.push(`Redis tests: no Redis at ${redisUrl()} (start redis-server, or set REDIS_URL)`);
  if (skipped.length === 0) return;
  console.log(`\nSkipped on this machine (everything else runs):\n${skipped.map((s) => `  - ${s}`).join("\n")}\n`);
}
