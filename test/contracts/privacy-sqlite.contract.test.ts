import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { createLogger } from "../../src/config/log.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { filesContain } from "../helpers/raw-store.js";
import { runPrivacyContract } from "./privacy.contract.js";

const dir = mkdtempSync(join(tmpdir(), "hotro-privacy-contract-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runPrivacyContract({
  name: "sqlite",
  makeBackend: (place) => embeddedBackend(join(dir, place), createLogger("silent"), "TK"),
  rawHits: async (place, needle) => filesContain(join(dir, place), needle),
  tamper: async (b, seq, edit) => {
    const db = (b as unknown as { db: import("../../src/store/sqlite/db.js").Db }).db;
    const row = db.prepare<[number], { body: string }>("SELECT body FROM audit WHERE seq = ?").get(seq);
    if (!row) throw new Error(`no audit entry ${seq}`);
    const e = JSON.parse(row.body) as Record<string, unknown>;
    edit(e);
    db.prepare("UPDATE audit SET body = ? WHERE seq = ?").run(JSON.stringify(e), seq);
  },
});
