import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/ports/audit.js";
import type { RequestRecord } from "../../src/ports/requests.js";
import { channelDeps } from "../../src/root/compose.js";
import { operatorApi } from "../../src/server/operator-api.js";
import type { Db } from "../../src/store/sqlite/db.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { filesContain, redisContains } from "../helpers/raw-store.js";
import { flushPrefix, redisReachable } from "../helpers/redis.js";
import { channel, FakeZalo, signed, userAttachment, userText } from "../zalo/fake-zalo.js";

const PASSWORD = "a long enough password";
const COOKIE = "hotro_console";
const available = await redisReachable();

/**
 * Issue 19's must-show, end to end: a Zalo user (through the real webhook, against the local
 * Zalo server) asks for their data to be deleted; the erase request appears in the console with
 * its deadline; a lead exports, then erases; afterwards the person's words, account name, phone
 * and display name are nowhere in DATA_DIR's bytes (SQLite file and WAL) or under the Redis
 * prefix; the audit log shows both, its chain verifies, and fails once an entry is edited.
 */
for (const store of ["sqlite", "redis"] as const) {
  describe.runIf(store === "sqlite" || available)(`erasing a Zalo user's data (${store})`, () => {
    let z: FakeZalo;
    let h: Harness;
    const dir = mkdtempSync(join(tmpdir(), "hotro-erasure-"));
    const prefix = `hotro-test:erasure:${randomUUID().slice(0, 8)}:`;
    const user = `5123${String(Date.now()).slice(-9)}${store === "redis" ? 1 : 2}`;
    const NAME = "Lê Thị Trang Quỳnh";
    const ACCOUNT = "trangle_vip88";
    const PHONE = "0938271645"; // not in flows (the matcher file in DATA_DIR holds flows' examples)
    const WORDS = "mình ở Đà Lạt, tên ở nhà là Bống";
    // A question the bot cannot answer (kept as a content gap) and a screenshot (kept as a file).
    const GAP = "con mèo Mướp nhà mình có biết bơi không";
    const PICTURE = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      Buffer.from("anh-chup-cua-Quynh-CCCD-079123456789", "utf8"),
      Buffer.alloc(1024),
    ]);
    const who: Record<string, { token: string; csrf: string }> = {};

    const post = async (text: string) => {
      const before = z.sends(user).length;
      const { payload, headers } = signed(userText(text, user));
      const res = await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", payload, headers });
      expect(res.statusCode).toBe(200);
      await waitFor(() => z.sends(user).length > before, 5000, `an answer to "${text}"`);
      await waitFor(async () => (await h.hotro.backend.inbox.pending()) === 0, 5000, "turn done");
      await waitFor(async () => (await h.hotro.backend.outbox.pending()) === 0, 5000, "sends done");
    };
    const call = (as: string, method: "GET" | "DELETE", url: string) =>
      h.hotro.app.inject({
        method,
        url,
        cookies: { [COOKIE]: who[as]?.token ?? "" },
        headers: { "x-csrf-token": who[as]?.csrf ?? "" },
      });
    const rawHits = (needle: string) =>
      store === "sqlite" ? Promise.resolve(filesContain(dir, needle)) : redisContains(prefix, needle);

    beforeAll(async () => {
      z = await new FakeZalo().start();
      z.names.set(user, NAME);
      z.cdn.set("cccd.png", PICTURE);
      h = await harness({
        ...(store === "sqlite" ? { dataDir: dir } : { redisPrefix: prefix }),
        plugins: [operatorApi],
        makeChannels: (d) => [channel(z, channelDeps(d))],
      });
    });
    /** The desk's people; made after the user's conversation, so the bot files requests rather than handing over. */
    const staff = async () => {
      for (const [name, role] of [
        ["hoa", "lead"],
        ["an", "admin"],
        ["lan", "agent"],
      ] as const) {
        await h.hotro.desk.accounts.add({ name, role, password: PASSWORD });
        const res = await h.hotro.app.inject({
          method: "POST",
          url: "/api/login",
          payload: { username: name, password: PASSWORD },
        });
        who[name] = { token: res.cookies.find((c) => c.name === COOKIE)?.value ?? "", csrf: res.json().csrf };
      }
    };
    afterAll(async () => {
      await h?.close();
      await z?.stop();
      rmSync(dir, { recursive: true, force: true });
      if (store === "redis") await flushPrefix(prefix);
    });

    it("files an erase request with its deadline, exports, erases, and leaves nothing behind", async () => {
      await post(GAP);
      await post("tài khoản bị khóa rồi");
      await post(ACCOUNT);
      await post("sáng nay");
      await post(`số điện thoại của mình là ${PHONE}`);
      await post(WORDS);
      {
        const { payload, headers } = signed(
          userAttachment(user, "user_send_image", { type: "photo", payload: { url: `${z.api.url}/cdn/cccd.png` } }),
        );
        expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", payload, headers })).statusCode).toBe(
          200,
        );
        await waitFor(async () => (await h.hotro.backend.inbox.pending()) === 0, 5000, "the picture kept");
      }
      const files = async () => (await h.hotro.media.files.list()).filter((r) => r.owner === `zalo:${user}`);
      expect(await files()).toHaveLength(1);
      const asked = Date.now();
      await post("xóa dữ liệu của tôi");
      const told = z.sends(user).at(-1)?.body as { message?: { text?: string } };
      expect(told.message?.text).toMatch(/xác minh/);
      expect(told.message?.text).toMatch(/chậm nhất \d\d\/\d\d \d\d:\d\d/);

      await staff();
      // The console: the erase request, with its deadline 72 h on (config/privacy.yaml).
      const list = (await call("hoa", "GET", "/api/requests?limit=50")).json() as { requests: RequestRecord[] };
      const erase = list.requests.find((r) => r.intent === "privacy.erase" && r.userId === user);
      expect(erase).toBeDefined();
      expect(erase?.dueAt).toBeGreaterThanOrEqual(asked + 72 * 3_600_000 - 60_000);
      expect(erase?.dueAt).toBeLessThanOrEqual(Date.now() + 72 * 3_600_000);
      // Listing asks Zalo for the user's name (cached and written to their requests).
      await waitFor(
        async () => (await h.hotro.backend.requests.list({})).some((r) => r.displayName === NAME),
        5000,
        "the display name from Zalo",
      );
      for (const needle of [NAME, ACCOUNT, PHONE, WORDS, GAP]) expect(await rawHits(needle), needle).not.toEqual([]);

      // An agent may not; a lead exports everything hotro holds about the person.
      expect((await call("lan", "GET", `/api/people/zalo/${user}/export`)).statusCode).toBe(403);
      const exp = await call("hoa", "GET", `/api/people/zalo/${user}/export`);
      expect(exp.statusCode).toBe(200);
      const body = exp.body;
      for (const needle of [NAME, ACCOUNT, PHONE, WORDS]) expect(body, needle).toContain(needle);
      expect(exp.json().requests.length).toBeGreaterThanOrEqual(2);
      expect(exp.json().session.privacy.notice).toMatchObject({ version: 1 });
      expect(exp.json().elsewhere.media).toHaveLength(1);
      expect(JSON.stringify(exp.json().elsewhere.quality)).toContain(GAP);

      // Erasure needs the CSRF header like every write of a console session.
      const noCsrf = await h.hotro.app.inject({
        method: "DELETE",
        url: `/api/people/zalo/${user}`,
        cookies: { [COOKIE]: who.hoa?.token ?? "" },
      });
      expect(noCsrf.statusCode).toBe(403);
      const del = await call("hoa", "DELETE", `/api/people/zalo/${user}`);
      expect(del.statusCode).toBe(200);
      expect(del.json().erased.requests).toContain(erase?.id);

      for (const needle of [NAME, ACCOUNT, PHONE, WORDS, GAP, "CCCD-079123456789"])
        expect(await rawHits(needle), needle).toEqual([]);
      expect(await files()).toEqual([]);
      expect(del.json().erased.elsewhere).toMatchObject({ media: 1 });
      // The requests stay, as anonymous statistics.
      const kept = await h.hotro.backend.requests.get(erase?.id ?? "");
      expect(kept).toMatchObject({ intent: "privacy.erase", userId: "~erased", fields: {} });
      const again = (await call("hoa", "GET", `/api/people/zalo/${user}/export`)).json();
      expect(again).toMatchObject({ requests: [], values: [], queued: [] });

      // The audit log: who exported and erased whom; agents and leads cannot read it.
      expect((await call("hoa", "GET", "/api/audit")).statusCode).toBe(403);
      const audit = (await call("an", "GET", "/api/audit")).json() as {
        entries: AuditEntry[];
        verify: { ok: boolean };
      };
      const mine = audit.entries.filter((e) => e.target === `zalo:${user}`);
      expect(mine.map((e) => [e.actor, e.action])).toEqual([
        ["hoa", "export_person"],
        ["hoa", "erase_person"],
        ["hoa", "export_person"],
      ]);
      expect(audit.entries.some((e) => e.actor === "hoa" && e.action === "login")).toBe(true);
      expect(audit.verify.ok).toBe(true);
      for (const needle of [NAME, ACCOUNT, PHONE]) expect(JSON.stringify(audit), needle).not.toContain(needle);

      // Someone with access to the store edits an entry: verification says where.
      const target = mine[1] as AuditEntry;
      if (store === "sqlite") {
        const db = (h.hotro.backend as unknown as { db: Db }).db;
        const row = db.prepare<[number], { body: string }>("SELECT body FROM audit WHERE seq = ?").get(target.seq);
        db.prepare("UPDATE audit SET body = ? WHERE seq = ?").run(
          (row?.body ?? "").replace('"actor":"hoa"', '"actor":"lan"'),
          target.seq,
        );
      } else {
        const redis = (h.hotro.backend as unknown as { redis: Redis }).redis;
        const all = await redis.lrange(`${prefix}audit:log`, 0, -1);
        const i = all.findIndex((raw) => (JSON.parse(raw) as AuditEntry).seq === target.seq);
        await redis.lset(`${prefix}audit:log`, i, (all[i] ?? "").replace('"actor":"hoa"', '"actor":"lan"'));
      }
      const after = (await call("an", "GET", "/api/audit")).json() as { verify: { ok: boolean; seq?: number } };
      expect(after.verify).toMatchObject({ ok: false, seq: target.seq });
    }, 60_000);
  });
}
