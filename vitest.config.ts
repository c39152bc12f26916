import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Vitest's default leaves one core free: on CI's two cores that runs the suite one file at
    // a time (16 min). Most tests wait on sockets and timers, so two files at once take 11 min;
    // three starve the start-up deadlines of the outage tests.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Says which suites this machine skips (no Chromium, no Redis) and how to enable them.
    globalSetup: ["test/setup/environment.ts"],
  },
});
