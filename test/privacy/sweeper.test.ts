import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/config/log.js";
import { PrivacyConfig } from "../../src/content/privacy.js";
import { verifyChain } from "../../src/privacy/chain.js";
import { sweepOnce } from "../../src/privacy/sweeper.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { filesContain } from "../helpers/raw-store.js";

const dir = mkdtempSync(join(tmpdir(), "hotro-sweeper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the retention sweep", () => {
  it("deletes what is past its period from the file, prunes the audit log, other holders too, and records it", async () => {
    const b = embeddedBackend(dir, createLogger("silent"), "HT");
    const privacy = PrivacyConfig.parse({
      policy_url: "https://example.vn/p",
      retention: { transcripts: "300ms", requests: "300ms", audit: "300ms" },
    });
    await b.audit.append({ at: Date.now(), actor: "lan", action: "login" });
    await b.requests.create(
      {
        conv: "zalo:1",
        channel: "zalo",
        userId: "1",
        draft: {
          intent: "account.locked",
          title: "t",
          priority: "high",
          fields: { account: "quet_sach_99" },
          transcript: [{ from: "user", text: "quet_sach_99 bị khóa", at: Date.now() }],
        },
        handoff: false,
        idempotencyKey: randomUUID(),
      },
      Date.now(),
    );
    await sleep(500);
    let mediaSwept = 0;
    const swept = await sweepOnce({
      people: b.people,
      audit: b.audit,
      holders: () => [{ name: "media", erase: async () => 0, sweep: async () => ++mediaSwept }],
      privacy: () => privacy,
      withLock: b.withLock,
      log: createLogger("silent"),
    });
    expect(swept).toMatchObject({ requests: 1, audit: 1, media: 1 });
    expect(filesContain(dir, "quet_sach_99")).toEqual([]);
    const log = await b.audit.list();
    expect(log.map((e) => e.action)).toEqual(["retention_sweep"]);
    expect(log[0]?.detail).toMatchObject({ requests: 1, audit: 1 });
    expect(await verifyChain(b.audit)).toMatchObject({ ok: true, entries: 1 });
    await b.close();
  });
});
