import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Says which suites this machine skips (no Chromium, no Redis) and how to enable them.
    globalSetup: ["test/setup/environment.ts"],
  },
});
