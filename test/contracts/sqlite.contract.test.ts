import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { createLogger } from "../../src/config/log.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { runStoreContract } from "./store.contract.js";

const dir = mkdtempSync(join(tmpdir(), "hotro-store-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract({
  name: "sqlite",
  makeBackend: (place, requestPrefix) => embeddedBackend(join(dir, place), createLogger("silent"), requestPrefix),
});
