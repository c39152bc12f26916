import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Backend } from "../../src/ports/backend.js";
import type { InboxItem, OutboxJob, SendOutcome } from "../../src/ports/queue.js";
import type { NewRequest, RequestRecord } from "../../src/ports/requests.js";
import type { StoredSession } from "../../src/ports/session.js";
import type { Priority } from "../../src/ports/vocabulary.js";
import { MAX_RETRY_AGE_MS } from "../../src/queue/retry.js";
import { qualityForget, qualityLog, qualityStats } from "./quality.cases.js";

/**
 * One suite both backends run (the embedded SQLite file and Redis): every port a Backend
 * offers, through its interface only. A backend file is one call.
 *
 * @example
 * runStoreContract({ name: "sqlite", makeBackend: (place, prefix) => embeddedBackend(join(dir, place), log, prefix) });
 */

export const STORE_CASES = [
  "inbox: claim once",
  "inbox: order",
  "inbox: recovery",
  "outbox: transient",
  "outbox: permanent",
  "outbox: age cap",
  "outbox: lanes",
  "requests: ids",
  "requests: idempotent",
  "requests: one open",
  "requests: transcript",
  "requests: filters",
  "requests: update",
  "sessions",
  "kv",
  "withLock",
  "bus",
  "healthy",
  "quality: log",
  "quality: stats",
  "quality: forget",
] as const;
export type StoreCase = (typeof STORE_CASES)[number];

export interface StoreContract {
  name: string;
  /**
   * A backend on the store at `place` (a directory, a key prefix): opening the same place
   * again is a restart on the same data. Request ids start with `requestPrefix`.
   */
  makeBackend(place: string, requestPrefix: string): Backend | Promise<Backend>;
  skip?: Partial<Record<StoreCase, string>>;
}

const PREFIX = "TK";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll until `check` holds. Timed with performance.now, not Date.now: the age-cap case moves
 * Date.now forward by hours.
 */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

const item = (key: string, conv: string): InboxItem => ({
  key,
  conv,
  body: { type: "control", event: { kind: "back_to_bot" }, at: 0 },
});

const job = (key: string, lane: string): OutboxJob => ({
  key,
  lane,
  body: { kind: "send", channel: "cli", userId: lane.slice(4), conv: lane, message: { text: key } },
});

const transient = (error = "HTTP 502", retryAfterMs?: number): SendOutcome => ({
  ok: false,
  permanent: false,
  error,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

function request(conv: string, key: string, extra: { intent?: string; priority?: Priority } = {}): NewRequest {
  const [channel = "cli", userId = conv] = conv.split(":");
  return {
    conv,
    channel,
    userId,
    draft: {
      intent: extra.intent ?? "account.locked",
      title: "Tài khoản bị khóa",
      priority: extra.priority ?? "high",
      fields: { account: "minh_99" },
      transcript: [{ from: "user", text: "tk bị khoá rồi", at: 1 }],
    },
    handoff: false,
    idempotencyKey: key,
  };
}

const number = (id: string) => Number(id.slice(id.lastIndexOf("-") + 1));

export function runStoreContract(c: StoreContract): void {
  const skip = c.skip ?? {};
  for (const [kase, why] of Object.entries(skip)) {
    if (!(STORE_CASES as readonly string[]).includes(kase)) throw new Error(`${c.name}: no case "${kase}" to skip`);
    if (!why?.trim()) throw new Error(`${c.name}: skipping "${kase}" needs a reason`);
  }
  const test = (kase: StoreCase, title: string, fn: () => Promise<void>, timeout = 30_000) => {
    const why = skip[kase];
    if (why) it.skip(`${kase}: ${title} (skipped: ${why})`, fn);
    else it(`${kase}: ${title}`, fn, timeout);
  };

  describe(`the ${c.name} store contract`, () => {
    const open = new Set<Backend>();
    /** A backend on a fresh place, or on `place` again (a restart). */
    const backend = async (place = randomUUID().slice(0, 8)) => {
      const b = await c.makeBackend(place, PREFIX);
      open.add(b);
      return { b, place };
    };
    /** What stopping a process does: the queues stop taking work, the store closes. */
    const shut = async (b: Backend) => {
      if (!open.delete(b)) return;
      await b.inbox.stop();
      await b.outbox.stop();
      await b.close();
    };
    afterEach(async () => {
      for (const b of [...open]) await shut(b);
    });

    test("inbox: claim once", "records a key once: a redelivery is acknowledged and dropped", async () => {
      const { b } = await backend();
      const seen: string[] = [];
      b.inbox.start(async (it) => {
        seen.push(it.key);
      });
      expect(await b.inbox.record([item("k1", "cli:a")])).toEqual([true]);
      expect(await b.inbox.record([item("k1", "cli:a")])).toEqual([false]);
      expect(await b.inbox.record([item("k1", "cli:a"), item("k2", "cli:a")])).toEqual([false, true]);
      await until(() => seen.length >= 2, "both items");
      await sleep(200);
      expect(seen).toEqual(["k1", "k2"]);
      expect(await b.inbox.pending()).toBe(0);
    });

    test("inbox: order", "hands one conversation's items over one at a time, in order; others go on", async () => {
      const { b } = await backend();
      const log: string[] = [];
      let active = 0;
      let most = 0;
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      b.inbox.start(async (it) => {
        if (it.conv === "cli:a") {
          active++;
          most = Math.max(most, active);
          if (it.key === "a0") await gate;
          await sleep(5);
          active--;
        }
        log.push(it.key);
      });
      await b.inbox.record([item("a0", "cli:a"), item("a1", "cli:a")]);
      for (const k of ["a2", "a3", "a4"]) await b.inbox.record([item(k, "cli:a")]);
      await b.inbox.record([item("b0", "cli:b")]);
      // cli:a waits on its first item; cli:b is not held up by it.
      await until(() => log.includes("b0"), "the other conversation");
      expect(log).toEqual(["b0"]);
      expect(await b.inbox.pending()).toBe(5);
      release();
      await until(() => log.length === 6, "every item");
      expect(log.filter((k) => k.startsWith("a"))).toEqual(["a0", "a1", "a2", "a3", "a4"]);
      expect(most).toBe(1);
    });

    test(
      "inbox: recovery",
      "a restart processes what a stopped inbox left, and remembers what it claimed",
      async () => {
        const { b: first, place } = await backend();
        const before: string[] = [];
        first.inbox.start(async (it) => {
          before.push(it.key);
        });
        await first.inbox.record([item("r0", "cli:r")]);
        await until(() => before.length === 1, "the first item");
        await first.inbox.stop();
        // Recorded (acknowledged) while the inbox is stopped: nobody processes them here.
        await first.inbox.record([item("r1", "cli:r"), item("r2", "cli:r"), item("s0", "cli:s")]);
        await sleep(200);
        expect(before).toEqual(["r0"]);
        expect(await first.inbox.pending()).toBe(3);
        await shut(first);

        const { b: next } = await backend(place);
        const after: string[] = [];
        next.inbox.start(
          async (it) => {
            after.push(it.key);
          },
          { recover: true },
        );
        await until(() => after.length === 3, "what was left");
        expect(after.filter((k) => k.startsWith("r"))).toEqual(["r1", "r2"]);
        expect(after).toContain("s0");
        // The handler ran before the item is marked done: wait for that last step, not a race with it.
        await until(async () => (await next.inbox.pending()) === 0, "the recovered items marked done");
        expect(await next.inbox.record([item("r1", "cli:r")])).toEqual([false]);
      },
    );

    test("outbox: transient", "retries a transient failure after a backoff, then delivers once", async () => {
      const { b } = await backend();
      const calls: { attempt: number; at: number }[] = [];
      const failures: string[] = [];
      b.outbox.start(
        async (_job, attempt) => {
          calls.push({ attempt, at: performance.now() });
          return attempt === 1 ? transient() : { ok: true };
        },
        { onFailure: (_j, last) => failures.push(last.error) },
      );
      await b.outbox.enqueue([job("t1", "cli:t")]);
      await until(async () => calls.length === 2 && (await b.outbox.pending()) === 0, "the retry");
      await sleep(300);
      expect(calls.map((x) => x.attempt)).toEqual([1, 2]);
      expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(200);
      expect(failures).toEqual([]);
    });

    test("outbox: permanent", "gives a permanent failure to onFailure, never retried", async () => {
      const { b } = await backend();
      let calls = 0;
      const failures: { key: string; error: string }[] = [];
      b.outbox.start(
        async () => {
          calls++;
          return { ok: false, permanent: true, error: "blocked: the user blocked the bot" };
        },
        { onFailure: (j, last) => failures.push({ key: j.key, error: last.error }) },
      );
      await b.outbox.enqueue([job("p1", "cli:p")]);
      await until(() => failures.length === 1, "onFailure");
      await sleep(800);
      expect(calls).toBe(1);
      expect(failures).toEqual([{ key: "p1", error: "blocked: the user blocked the bot" }]);
      expect(await b.outbox.pending()).toBe(0);
    });

    test(
      "outbox: age cap",
      "ends a job whose failures outlast the age cap, even ones that cost no attempt",
      async () => {
        const { b } = await backend();
        const real = Date.now.bind(Date);
        let offset = 0;
        const clock = vi.spyOn(Date, "now").mockImplementation(() => real() + offset);
        try {
          let calls = 0;
          const failures: string[] = [];
          b.outbox.start(
            async () => {
              calls++;
              // The second try comes past the cap (as if the platform had said "later" for hours).
              if (calls === 2) offset += MAX_RETRY_AGE_MS + 60_000;
              return transient("429: retry later", 20);
            },
            { onFailure: (_j, last) => failures.push(last.error) },
          );
          await b.outbox.enqueue([job("age1", "cli:age")]);
          await until(() => failures.length === 1, "the age cap");
          await sleep(300);
          expect(calls).toBe(2);
          expect(failures).toEqual(["429: retry later"]);
          expect(await b.outbox.pending()).toBe(0);
        } finally {
          clock.mockRestore();
        }
      },
    );

    test(
      "outbox: lanes",
      "keeps each lane in order, waits the asked delay, holds no other lane, sends a key once",
      async () => {
        const { b } = await backend();
        const tries: { key: string; at: number; ok: boolean }[] = [];
        b.outbox.start(async (j) => {
          const first = j.key === "a1" && !tries.some((t) => t.key === "a1");
          tries.push({ key: j.key, at: performance.now(), ok: !first });
          return first ? transient("HTTP 429", 300) : { ok: true };
        });
        await b.outbox.enqueue([job("a1", "cli:A"), job("a2", "cli:A"), job("a3", "cli:A"), job("b1", "cli:B")]);
        await b.outbox.enqueue([job("a2", "cli:A")]); // the same job again (a replay): still sent once
        await until(async () => tries.filter((t) => t.ok).length === 4 && (await b.outbox.pending()) === 0, "all");
        await sleep(200);
        const keys = (lane: string) => tries.filter((t) => t.key.startsWith(lane)).map((t) => t.key);
        expect(keys("a")).toEqual(["a1", "a1", "a2", "a3"]);
        expect(keys("b")).toEqual(["b1"]);
        const at = (key: string, n = 0) => tries.filter((t) => t.key === key)[n]?.at ?? Number.NaN;
        expect(at("a1", 1) - at("a1")).toBeGreaterThanOrEqual(290);
        expect(at("b1")).toBeLessThan(at("a1", 1));
      },
    );

    test("requests: ids", "numbers requests <prefix>-<at least 6 digits>, increasing, and keeps them", async () => {
      const { b } = await backend();
      const r1 = await b.requests.create(request("cli:u1", "turn-1"), 1_000);
      const r2 = await b.requests.create(request("cli:u2", "turn-2"), 2_000);
      for (const r of [r1, r2]) expect(r.id).toMatch(new RegExp(`^${PREFIX}-\\d{6,}$`));
      expect(number(r2.id)).toBeGreaterThan(number(r1.id));
      expect(r1).toMatchObject({
        conv: "cli:u1",
        channel: "cli",
        userId: "u1",
        intent: "account.locked",
        priority: "high",
        status: "open",
        handoff: false,
        fields: { account: "minh_99" },
        createdAt: 1_000,
        updatedAt: 1_000,
      });
      expect(await b.requests.get(r1.id)).toEqual(r1);
      expect(await b.requests.get(`${PREFIX}-999999999`)).toBeUndefined();
    });

    test("requests: idempotent", "creates one request per idempotency key, even asked twice at once", async () => {
      const { b } = await backend();
      const a = await b.requests.create(request("cli:i", "turn-x"), 1_000);
      expect((await b.requests.create(request("cli:i", "turn-x"), 2_000)).id).toBe(a.id);
      const [c1, c2] = await Promise.all([
        b.requests.create(request("cli:i", "turn-y"), 3_000),
        b.requests.create(request("cli:i", "turn-y"), 3_000),
      ]);
      expect(c1.id).toBe(c2.id);
      expect((await b.requests.list({ conv: "cli:i" })).map((r) => r.id).sort()).toEqual([a.id, c1.id].sort());
    });

    test("requests: one open", "finds a conversation's one open request for a problem by conv and status", async () => {
      const { b } = await backend();
      const old = await b.requests.create(request("cli:o", "turn-1"), 1_000);
      await b.requests.update(old.id, { status: "resolved" }, 1_500);
      const open = await b.requests.create(request("cli:o", "turn-2"), 2_000);
      await b.requests.create(request("cli:other", "turn-3"), 3_000);
      expect((await b.requests.list({ conv: "cli:o", status: "open" })).map((r) => r.id)).toEqual([open.id]);
      expect((await b.requests.list({ conv: "cli:o" })).map((r) => r.id)).toEqual([open.id, old.id]);
    });

    test("requests: transcript", "appends a transcript line once per line key, in order", async () => {
      const { b } = await backend();
      const r = await b.requests.create(request("cli:t", "turn-1"), 1_000);
      const bot = { from: "bot" as const, text: "Mình kiểm tra giúp bạn nhé", at: 2 };
      const op = {
        from: "operator" as const,
        text: "Lan đây",
        at: 3,
        attachments: [{ type: "image" as const, url: "https://hotro.example.vn/a.png" }],
      };
      await b.requests.append(r.id, "line-1", bot);
      await b.requests.append(r.id, "line-1", bot);
      await b.requests.append(r.id, "line-2", op);
      await b.requests.append(r.id, "line-1", { ...bot, text: "changed" });
      expect(await b.requests.transcript(r.id)).toEqual([{ from: "user", text: "tk bị khoá rồi", at: 1 }, bot, op]);
    });

    test(
      "requests: filters",
      "lists newest first, by status, priority, channel and conversation, up to a limit",
      async () => {
        const { b } = await backend();
        const made: RequestRecord[] = [];
        for (const [i, [conv, priority]] of (
          [
            ["telegram:1", "urgent"],
            ["zalo:2", "normal"],
            ["telegram:3", "normal"],
            ["messenger:4", "urgent"],
            ["telegram:1", "low"],
          ] as const
        ).entries()) {
          made.push(await b.requests.create(request(conv, `f-${i}`, { priority }), 1_000 + i));
        }
        await b.requests.update(made[2]?.id ?? "", { status: "resolved" }, 5_000);
        const ids = (rs: { id: string }[]) => rs.map((r) => r.id);
        const pick = (...is: number[]) => is.map((i) => made[i]?.id);
        expect(ids(await b.requests.list({}))).toEqual(pick(4, 3, 2, 1, 0));
        expect(ids(await b.requests.list({ status: "open" }))).toEqual(pick(4, 3, 1, 0));
        expect(ids(await b.requests.list({ status: "resolved" }))).toEqual(pick(2));
        expect(ids(await b.requests.list({ priority: "urgent" }))).toEqual(pick(3, 0));
        expect(ids(await b.requests.list({ channel: "telegram" }))).toEqual(pick(4, 2, 0));
        expect(ids(await b.requests.list({ conv: "telegram:1" }))).toEqual(pick(4, 0));
        expect(ids(await b.requests.list({ channel: "telegram", status: "open", priority: "urgent" }))).toEqual(
          pick(0),
        );
        expect(ids(await b.requests.list({ limit: 2 }))).toEqual(pick(4, 3));
      },
    );

    test("requests: update", "patches a request, merging its fields; an unknown id is undefined", async () => {
      const { b } = await backend();
      const r = await b.requests.create(request("cli:u", "turn-1"), 1_000);
      const next = await b.requests.update(
        r.id,
        { status: "in_progress", assignee: "Lan", fields: { time: "9h sáng nay" } },
        2_000,
      );
      expect(next).toEqual({
        ...r,
        status: "in_progress",
        assignee: "Lan",
        fields: { account: "minh_99", time: "9h sáng nay" },
        updatedAt: 2_000,
      });
      expect(await b.requests.get(r.id)).toEqual(next);
      expect(await b.requests.update(`${PREFIX}-999999999`, { status: "resolved" }, 3_000)).toBeUndefined();
    });

    test("sessions", "gets, sets and deletes sessions through keyv; they survive a restart", async () => {
      const { b, place } = await backend();
      const s: StoredSession = {
        v: 1,
        lang: "vi",
        mode: "bot",
        formFailures: 0,
        fallbackStreak: 1,
        requests: [],
        recent: [{ from: "user", text: "xin chào", at: 1 }],
        processed: { key: "cli:evt-1", jobs: [job("cli:evt-1:send:0", "cli:s1")] },
      };
      expect(await b.sessions.get("cli:s1")).toBeUndefined();
      await b.sessions.set("cli:s1", s);
      await b.sessions.set("cli:s2", { ...s, lang: "en" });
      expect(await b.sessions.get("cli:s1")).toEqual(s);
      // Sessions and small values live apart: the same key in kv is another value.
      await b.kv.set("cli:s1", "not a session");
      expect(await b.sessions.get("cli:s1")).toEqual(s);
      await b.sessions.delete("cli:s2");
      expect(await b.sessions.get("cli:s2")).toBeUndefined();
      await shut(b);
      const { b: again } = await backend(place);
      expect(await again.sessions.get("cli:s1")).toEqual(s);
    });

    test("kv", "keeps small values, deletes them, and forgets them after their TTL", async () => {
      const { b } = await backend();
      await b.kv.set("tgcb:k:abc", "intent:contact.hotline");
      await b.kv.set("zalo:name:42", { name: "Nguyễn Văn An" });
      expect(await b.kv.get("tgcb:k:abc")).toBe("intent:contact.hotline");
      expect(await b.kv.get("zalo:name:42")).toEqual({ name: "Nguyễn Văn An" });
      expect(await b.kv.delete("tgcb:k:abc")).toBe(true);
      expect(await b.kv.get("tgcb:k:abc")).toBeUndefined();
      await b.kv.set("short", 1, 150);
      expect(await b.kv.get("short")).toBe(1);
      await sleep(400);
      expect(await b.kv.get("short")).toBeUndefined();
    });

    test(
      "withLock",
      "runs one holder at a time per name, returns its value, frees the lock after a throw",
      async () => {
        const { b } = await backend();
        let active = 0;
        let most = 0;
        const hold = (i: number) =>
          b.withLock("contract", 5_000, async () => {
            active++;
            most = Math.max(most, active);
            await sleep(20);
            active--;
            return i;
          });
        expect(await Promise.all([1, 2, 3, 4].map(hold))).toEqual([1, 2, 3, 4]);
        expect(most).toBe(1);
        await expect(
          b.withLock("contract", 5_000, async () => {
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        expect(await b.withLock("contract", 5_000, async () => "after")).toBe("after");
        // Another name is another lock.
        let release = () => {};
        const held = b.withLock("one", 5_000, () => new Promise<void>((r) => (release = r)));
        await sleep(50);
        expect(await b.withLock("two", 5_000, async () => "free")).toBe("free");
        release();
        await held;
      },
    );

    test("bus", "publish reaches a subscriber of the topic; unsubscribing stops it", async () => {
      const { b } = await backend();
      const got: unknown[] = [];
      const elsewhere: unknown[] = [];
      const off = await b.bus.subscribe("contract", (m) => got.push(m));
      await b.bus.subscribe("elsewhere", (m) => elsewhere.push(m));
      await b.bus.publish("contract", { visitor: "v1", frame: { type: "typing" } });
      await until(() => got.length === 1, "the message");
      expect(got).toEqual([{ visitor: "v1", frame: { type: "typing" } }]);
      await off();
      await b.bus.publish("contract", { n: 2 });
      await sleep(200);
      expect(got).toHaveLength(1);
      expect(elsewhere).toEqual([]);
      expect(b.bus.healthy()).toBe(true);
    });

    test("quality: log", "records a fact once per key, lists a kind by time, oldest first", async () => {
      const { b } = await backend();
      await qualityLog(b);
    });

    test("quality: stats", "the same facts give the same figures", async () => {
      const { b } = await backend();
      await qualityStats(b);
    });

    test("quality: forget", "takes a person out of the log: questions and notices go, figures stay", async () => {
      const { b } = await backend();
      await qualityForget(b);
    });

    test("healthy", "is healthy once connected, and not after close", async () => {
      const { b } = await backend();
      await until(() => b.healthy(), "healthy");
      await shut(b);
      expect(b.healthy()).toBe(false);
    });
  });
}
