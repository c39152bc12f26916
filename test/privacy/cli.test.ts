import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { auditCommand } from "../../src/cli/audit.js";
import { peopleCommand } from "../../src/cli/people.js";
import { createLogger } from "../../src/config/log.js";
import { PrivacyConfig } from "../../src/content/privacy.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";

const dir = mkdtempSync(join(tmpdir(), "hotro-privacy-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe("npm run audit / npm run people", () => {
  it("verify, list and export the audit log; verify fails once an entry is edited", async () => {
    const b = embeddedBackend(join(dir, "audit"), createLogger("silent"), "HT");
    await b.audit.append({ at: Date.parse("2026-11-24T03:00:00Z"), actor: "hoa", action: "login" });
    await b.audit.append({
      at: Date.parse("2026-11-24T03:05:00Z"),
      actor: "hoa",
      action: "erase_person",
      target: "zalo:1",
    });
    let r = io();
    expect(await auditCommand(["verify"], { ...r.io, backend: b })).toBe(0);
    expect(r.out[0]).toMatch(/intact: 2 entries/);
    r = io();
    expect(await auditCommand(["list", "--last", "1"], { ...r.io, backend: b })).toBe(0);
    expect(r.out).toEqual([expect.stringMatching(/^2026-11-24T03:05:00.000Z\t#2\thoa\terase_person\tzalo:1/)]);
    r = io();
    await auditCommand(["export"], { ...r.io, backend: b });
    expect(r.out.map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
    b.db.prepare("UPDATE audit SET body = replace(body, 'zalo:1', 'zalo:2') WHERE seq = 2").run();
    r = io();
    expect(await auditCommand(["verify"], { ...r.io, backend: b })).toBe(1);
    expect(r.err[0]).toMatch(/BROKEN at entry #2/);
    expect(await auditCommand(["nonsense"], { ...io().io, backend: b })).toBe(2);
    await b.close();
  });

  it("held --at lists whose data was held at that moment, and erasures recorded since", async () => {
    const b = embeddedBackend(join(dir, "held"), createLogger("silent"), "HT");
    const privacy = PrivacyConfig.parse({ policy_url: "https://example.vn/p" });
    const create = (userId: string, at: number, fields: Record<string, string>) =>
      b.requests.create(
        {
          conv: `zalo:${userId}`,
          channel: "zalo",
          userId,
          draft: { intent: "account.locked", title: "t", priority: "high", fields, transcript: [] },
          handoff: false,
          idempotencyKey: randomUUID(),
        },
        at,
      );
    const t = Date.parse("2026-11-24T03:00:00Z");
    await create("a1", t - 3_600_000, { account: "x", phone: "0900000001" });
    await create("a2", t + 3_600_000, {});
    await b.audit.append({ at: t + 60_000, actor: "hoa", action: "erase_person", target: "zalo:gone" });
    const r = io();
    expect(await peopleCommand(["held", "--at", "2026-11-24T10:00:00+07:00"], { ...r.io, backend: b, privacy })).toBe(
      0,
    );
    const rows = r.out.map((l) => JSON.parse(l));
    expect(rows.map((x) => x.conv)).toEqual(["zalo:a1", "zalo:gone"]);
    expect(rows[0].kinds).toContain("fields:account,phone");
    expect(r.err[0]).toMatch(/2 person\(s\)/);
    expect(await peopleCommand(["held"], { ...io().io, backend: b, privacy })).toBe(2);
    const s = io();
    expect(await peopleCommand(["sweep"], { ...s.io, backend: b, privacy })).toBe(0);
    expect(JSON.parse(s.out[0] ?? "{}")).toMatchObject({ requests: 0 });
    await b.close();
  });
});
