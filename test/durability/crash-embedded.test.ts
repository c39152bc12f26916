import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { crashRun } from "./helpers/crash.js";
import { removeDir, tempDir } from "./helpers/server-process.js";

/**
 * Issue 7, "Must show": 200 conversations × 5 messages through the real Telegram webhook,
 * the server (embedded SQLite store) SIGKILLed twice and restarted on the same DATA_DIR.
 */
describe("crash safety on the embedded store", () => {
  it("answers every acknowledged message once and in order across two SIGKILLs", { timeout: 150_000 }, async () => {
    const dir = tempDir("crash-embedded");
    const dataDir = join(dir, "data");
    const db = () => new Database(join(dataDir, "hotro.db"), { fileMustExist: true });
    const report = await crashRun({
      label: "crash-embedded",
      storeEnv: { DATA_DIR: dataDir },
      logDir: dir,
      async pendingSends() {
        const d = db();
        try {
          const rows = d.prepare("SELECT body FROM outbox WHERE state = 0").all() as { body: string }[];
          return rows.map((r) => {
            const job = JSON.parse(r.body) as { body: { userId?: string; message?: { text?: string } } };
            return { chat: Number(job.body.userId), text: job.body.message?.text ?? "" };
          });
        } finally {
          d.close();
        }
      },
      async pendingWork() {
        const d = db();
        try {
          const q = (sql: string) => (d.prepare(sql).get() as { n: number }).n;
          return (
            q("SELECT count(*) AS n FROM inbox WHERE state = 0") + q("SELECT count(*) AS n FROM outbox WHERE state = 0")
          );
        } finally {
          d.close();
        }
      },
    });
    console.log(JSON.stringify({ ...report, logs: dir }, null, 1));
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
