import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Backend } from "../../src/ports/backend.js";
import type { Retention } from "../../src/ports/people.js";
import type { StoredSession } from "../../src/ports/session.js";
import { verifyChain } from "../../src/privacy/chain.js";

/**
 * Personal data on both backends, through their ports: the audit trail's chain, a person's
 * export and erasure (checked on the store's raw bytes, not only through the API), and the
 * retention sweep with periods of milliseconds.
 */
export interface PrivacyContract {
  name: string;
  makeBackend(place: string): Backend | Promise<Backend>;
  /** Where the texts are searched for: the raw bytes of the place (files, or keys and values). */
  rawHits(place: string, needle: string): Promise<string[]>;
  /** Changes one stored audit entry behind the store's back (as an intruder with file access would). */
  tamper(b: Backend, seq: number, edit: (entry: Record<string, unknown>) => void): Promise<void>;
}

const DAY = 86_400_000;
const keepAll: Retention = {
  transcripts: DAY,
  requests: DAY,
  media: DAY,
  sessions: DAY,
  dedupe: 7 * DAY,
  webchat_visitors: DAY,
  audit: DAY,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const session = (text: string): StoredSession =>
  ({
    v: 1,
    lang: "vi",
    mode: "bot",
    formFailures: 0,
    fallbackStreak: 0,
    requests: [],
    recent: [{ from: "user", text, at: Date.now() }],
    displayName: "Trần Thị Bích",
    firstAt: Date.now(),
  }) as StoredSession;

export function runPrivacyContract(c: PrivacyContract): void {
  describe(`personal data on ${c.name}`, () => {
    const open: Backend[] = [];
    const backend = async () => {
      const place = randomUUID().slice(0, 8);
      const b = await c.makeBackend(place);
      open.push(b);
      return { b, place };
    };
    afterEach(async () => {
      for (const b of open.splice(0)) await b.close();
    });

    it("audit: entries chain by hash, verify passes, and fails once an entry is edited", async () => {
      const { b } = await backend();
      for (let i = 0; i < 5; i++)
        await b.audit.append({ at: 1000 + i, actor: "lan", action: "reply", target: `HT-00000${i}` });
      const all = await b.audit.list();
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all[1]?.prev).toBe(all[0]?.hash);
      expect(await verifyChain(b.audit)).toMatchObject({ ok: true, entries: 5 });
      await c.tamper(b, 3, (e) => {
        e.target = "HT-999999";
      });
      expect(await verifyChain(b.audit)).toMatchObject({ ok: false, seq: 3 });
    });

    it("audit: concurrent appends make one chain; pruning old entries keeps it verifiable", async () => {
      const { b } = await backend();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => b.audit.append({ at: 1000 + i, actor: `op${i}`, action: "note" })),
      );
      expect(await verifyChain(b.audit)).toMatchObject({ ok: true, entries: 20 });
      expect(await b.audit.prune(1010)).toBe(10);
      expect((await b.audit.list())[0]?.seq).toBe(11);
      expect(await verifyChain(b.audit)).toMatchObject({ ok: true, entries: 10 });
      await b.audit.append({ at: 5000, actor: "lan", action: "login" });
      expect(await verifyChain(b.audit)).toMatchObject({ ok: true, entries: 11 });
    });

    it("people: collect gathers a person's session, requests, transcript, values and queued messages", async () => {
      const { b } = await backend();
      await b.sessions.set("zalo:777001", session("số em 0912345678"));
      const rec = await b.requests.create(
        {
          conv: "zalo:777001",
          channel: "zalo",
          userId: "777001",
          displayName: "Trần Thị Bích",
          draft: {
            intent: "account.locked",
            title: "Tài khoản bị khóa",
            priority: "high",
            fields: { account: "bich_tran88", phone: "0912345678" },
            transcript: [{ from: "user", text: "tk bich_tran88 bị khoá", at: Date.now() }],
          },
          handoff: true,
          idempotencyKey: randomUUID(),
        },
        Date.now(),
      );
      await b.kv.set("zalo:name:777001", { name: "Trần Thị Bích" });
      await b.kv.set("zalo:name:7770012", { name: "Someone Else" });
      await b.outbox.enqueue([
        {
          key: "k1",
          lane: "zalo:777001",
          body: {
            kind: "send",
            channel: "zalo",
            userId: "777001",
            conv: "zalo:777001",
            message: { text: "Chào Bích" },
          },
        },
      ]);
      const held = await b.people.collect({ channel: "zalo", userId: "777001" });
      expect(held.requests.map((r) => r.record.id)).toEqual([rec.id]);
      expect(held.requests[0]?.transcript[0]?.text).toContain("bich_tran88");
      expect(held.values).toEqual([{ key: "zalo:name:777001", value: { name: "Trần Thị Bích" } }]);
      expect(JSON.stringify(held.session)).toContain("0912345678");
      expect(JSON.stringify(held.queued)).toContain("Chào Bích");
    });

    it("people: erasure leaves nothing of the person in the store's raw bytes; requests stay as statistics", async () => {
      const { b, place } = await backend();
      const conv = "zalo:888002";
      await b.sessions.set(conv, session("sdt 0987654321 nhé"));
      await b.sessions.set("zalo:888003", session("người khác"));
      const rec = await b.requests.create(
        {
          conv,
          channel: "zalo",
          userId: "888002",
          displayName: "Phạm Văn Khôi",
          draft: {
            intent: "account.locked",
            title: "Tài khoản bị khóa",
            priority: "high",
            fields: { account: "khoi_pham_vip", phone: "0987654321" },
            transcript: [{ from: "user", text: "acc khoi_pham_vip bị khóa rồi", at: Date.now() }],
          },
          handoff: true,
          idempotencyKey: randomUUID(),
        },
        Date.now(),
      );
      await b.requests.append(rec.id, "l2", { from: "user", text: "số em 0987654321", at: Date.now() });
      await b.kv.set("zalo:name:888002", { name: "Phạm Văn Khôi" });
      await b.inbox.record([
        {
          key: randomUUID(),
          conv,
          body: {
            type: "event",
            event: {
              id: "e1",
              channel: "zalo",
              userId: "888002",
              kind: "message",
              text: "khoi_pham_vip ơi",
              timestamp: Date.now(),
            },
          },
        },
      ]);
      for (const needle of ["khoi_pham_vip", "0987654321", "Phạm Văn Khôi"]) {
        expect(await c.rawHits(place, needle), needle).not.toEqual([]);
      }
      const done = await b.people.erase({ channel: "zalo", userId: "888002" });
      expect(done).toMatchObject({ session: true, requests: [rec.id], values: 1 });
      expect(done.transcriptLines).toBe(2);
      for (const needle of ["khoi_pham_vip", "0987654321", "Phạm Văn Khôi"]) {
        expect(await c.rawHits(place, needle), needle).toEqual([]);
      }
      const kept = await b.requests.get(rec.id);
      expect(kept).toMatchObject({ intent: "account.locked", priority: "high", fields: {}, userId: "~erased" });
      expect(kept?.displayName).toBeUndefined();
      expect(await b.sessions.get("zalo:888003")).toBeDefined();
      const after = await b.people.collect({ channel: "zalo", userId: "888002" });
      expect(after).toMatchObject({ requests: [], values: [], queued: [] });
      expect(after.session).toBeUndefined();
    });

    it("retention: with periods of milliseconds, expired transcripts, requests, sessions and visitors are gone", async () => {
      const { b, place } = await backend();
      const old = await b.requests.create(
        {
          conv: "webchat:visA",
          channel: "webchat",
          userId: "visA",
          draft: {
            intent: "account.locked",
            title: "t",
            priority: "normal",
            fields: {},
            transcript: [{ from: "user", text: "dòng-cũ-xyz", at: Date.now() }],
          },
          handoff: false,
          idempotencyKey: randomUUID(),
        },
        Date.now(),
      );
      await b.sessions.set("webchat:visA", session("phiên-cũ-xyz"), 300);
      await b.kv.set("webchat:visitor:visA", { hash: "visitor-cũ-xyz", since: Date.now() }, 300);
      await b.kv.set("webchat:history:visA", { seq: 1, items: [{ text: "lịch-sử-cũ-xyz" }] }, 300);
      await sleep(600);
      const fresh = await b.requests.create(
        {
          conv: "webchat:visB",
          channel: "webchat",
          userId: "visB",
          draft: {
            intent: "account.locked",
            title: "t",
            priority: "normal",
            fields: {},
            transcript: [{ from: "user", text: "dòng-mới", at: Date.now() }],
          },
          handoff: false,
          idempotencyKey: randomUUID(),
        },
        Date.now(),
      );
      await b.requests.append(old.id, "late", { from: "user", text: "dòng-giữ", at: Date.now() });
      const swept = await b.people.sweep({ ...keepAll, transcripts: 400, requests: 60_000 }, Date.now());
      expect(swept.transcriptLines).toBeGreaterThanOrEqual(1);
      expect((await b.requests.transcript(old.id)).map((l) => l.text)).toEqual(["dòng-giữ"]);
      expect(await b.requests.get(fresh.id)).toBeDefined();
      for (const needle of ["dòng-cũ-xyz", "phiên-cũ-xyz", "visitor-cũ-xyz", "lịch-sử-cũ-xyz"]) {
        expect(await c.rawHits(place, needle), needle).toEqual([]);
      }
      // The request itself, last changed longer ago than its period, goes with its lines.
      await sleep(450);
      await b.people.sweep({ ...keepAll, transcripts: 400, requests: 400 }, Date.now());
      expect(await b.requests.get(old.id)).toBeUndefined();
      expect(await b.requests.transcript(old.id)).toEqual([]);
      expect(await c.rawHits(place, "dòng-giữ")).toEqual([]);
    });

    it("breach readiness: who had data held at a given time", async () => {
      const { b } = await backend();
      const t0 = Date.now();
      await b.requests.create(
        {
          conv: "telegram:42",
          channel: "telegram",
          userId: "42",
          draft: { intent: "x", title: "t", priority: "normal", fields: { phone: "0900000000" }, transcript: [] },
          handoff: false,
          idempotencyKey: randomUUID(),
        },
        t0,
      );
      await b.requests.create(
        {
          conv: "telegram:43",
          channel: "telegram",
          userId: "43",
          draft: { intent: "x", title: "t", priority: "normal", fields: {}, transcript: [] },
          handoff: false,
          idempotencyKey: randomUUID(),
        },
        t0 + 10_000,
      );
      const held = await b.people.heldAt(t0 + 5_000);
      expect(held.map((h) => h.conv)).toEqual(["telegram:42"]);
      expect(held[0]?.kinds).toContain("fields:phone");
    });
  });
}
