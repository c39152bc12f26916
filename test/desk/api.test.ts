import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_CAPABILITIES } from "../../src/ports/capabilities.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { waitFor } from "../helpers/fake-platform.js";
import { CaptureChannel, type Harness, harness } from "../helpers/harness.js";
import { flushPrefix, redisReachable } from "../helpers/redis.js";

const PASSWORD = "a long enough password";
const COOKIE = "hotro_console";
const TUESDAY_10H = new Date("2026-11-24T03:00:00Z");

/** A channel with a 7-day window whose person's messages fail (a closed window, a blocked OA). */
class WindowChannel extends CaptureChannel {
  failPersons = false;
  constructor() {
    super("zalo", { ...CLI_CAPABILITIES, replyWindow: { botHours: 168, personHours: 168 } });
  }
  override async send(job: SendJob): Promise<SendOutcome> {
    if (this.failPersons && job.byPerson)
      return { ok: false, permanent: true, error: "zalo -230: no interaction in 7 days" };
    return super.send(job);
  }
}

type Who = { token: string; csrf: string };

describe("the desk API", () => {
  let h: Harness;
  let zalo: WindowChannel;
  const users: Record<string, Who> = {};

  const call = (who: Who | undefined, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown) =>
    h.hotro.app.inject({
      method,
      url,
      ...(who ? { cookies: { [COOKIE]: who.token }, headers: { "x-csrf-token": who.csrf } } : {}),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const view = async (id: string, who = users.lan) => (await call(who, "GET", `/api/requests/${id}`)).json();
  const userGot = (text: string) => [...h.cli.sent, ...zalo.sent].some((j) => j.message.text?.includes(text));

  beforeAll(async () => {
    zalo = new WindowChannel();
    h = await harness({ operators: true, plugins: [operatorApi], channels: [zalo], now: () => TUESDAY_10H });
    for (const [name, role] of [
      ["lan", "agent"],
      ["minh", "agent"],
      ["hoa", "lead"],
    ] as const) {
      await h.hotro.desk.accounts.add({ name, role, password: PASSWORD, displayName: name.toUpperCase() });
      const res = await h.hotro.app.inject({
        method: "POST",
        url: "/api/login",
        payload: { username: name, password: PASSWORD },
      });
      users[name] = { token: res.cookies.find((c) => c.name === COOKIE)?.value ?? "", csrf: res.json().csrf };
    }
    // HT-000001: a Zalo user with a Vietnamese name and a locked account.
    await h.event({ userId: "z1", channel: "zalo", displayName: "Nguyễn Văn Minh", text: "tài khoản bị khóa rồi" });
    await h.event({ userId: "z1", channel: "zalo", text: "minh_nguyen99" });
    await h.event({ userId: "z1", channel: "zalo", text: "sáng nay" });
    // HT-000002: someone asks for a person on the terminal channel.
    await h.say("cho mình gặp nhân viên", { user: "c1" });
    await waitFor(async () => (await h.hotro.backend.requests.list({})).length === 2, 5000, "two requests");
  });
  afterAll(() => h.close());

  it("lists with queue counts, and finds a request by words without their diacritics or case", async () => {
    const all = (await call(users.lan, "GET", "/api/requests?queue=open")).json();
    expect(all.requests.map((r: { id: string }) => r.id).sort()).toEqual(["HT-000001", "HT-000002"]);
    expect(all.counts).toMatchObject({ new: 2, mine: 0, open: 2, resolved: 0 });
    // Oldest waiting first.
    expect(all.requests[0].id).toBe("HT-000001");
    expect(all.requests[0].waitingSince).toBeLessThanOrEqual(all.requests[1].waitingSince);

    const find = async (q: string) =>
      (await call(users.lan, "GET", `/api/requests?q=${encodeURIComponent(q)}`))
        .json()
        .requests.map((r: { id: string }) => r.id);
    expect(await find("nguyen van minh")).toEqual(["HT-000001"]); // the display name
    expect(await find("TAI KHOAN bi khoa")).toEqual(["HT-000001"]); // transcript text
    expect(await find("minh_nguyen99")).toEqual(["HT-000001"]); // a collected field
    expect(await find("ht-000002")).toEqual(["HT-000002"]); // the id
    expect(await find("gap nhan vien")).toEqual(["HT-000002"]);
    expect(await find("khong co dau")).toEqual([]);
    expect((await call(users.lan, "GET", "/api/requests?channel=zalo&priority=urgent")).json().requests).toHaveLength(
      1,
    );
    expect((await call(users.lan, "GET", "/api/requests?status=bogus")).statusCode).toBe(400);
  });

  it("shows one request: transcript, fields, channel, the window's time left, the user's other requests", async () => {
    const v = await view("HT-000001");
    expect(v.request).toMatchObject({ id: "HT-000001", channel: "zalo", displayName: "Nguyễn Văn Minh" });
    expect(v.channel).toEqual({ id: "zalo", name: "zalo" });
    expect(Object.values(v.request.fields)).toContain("minh_nguyen99");
    expect(v.transcript.some((e: { text: string }) => e.text === "tài khoản bị khóa rồi")).toBe(true);
    expect(v.transcript.find((e: { kind?: string }) => e.kind === "event")).toMatchObject({
      event: "escalated",
      rule: "urgent_intent",
    });
    expect(v.window.personUntil - v.window.lastUserAt).toBe(7 * 24 * 3_600_000);
    expect(v.others).toEqual([]);
    // No window on the terminal channel.
    expect((await view("HT-000002")).window).toBeUndefined();
    expect((await call(users.lan, "GET", "/api/requests/HT-999999")).statusCode).toBe(404);
  });

  it("gives a request to the first operator who takes it; a second take is refused with 409", async () => {
    const first = await call(users.lan, "POST", "/api/requests/HT-000001/take");
    expect(first.statusCode).toBe(200);
    expect(first.json().request).toMatchObject({ assignee: "lan", status: "in_progress" });
    const second = await call(users.minh, "POST", "/api/requests/HT-000001/take");
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({
      error: "HT-000001 is already taken by lan",
      assignee: "lan",
      assigneeName: "LAN",
    });
    // Taking it again yourself changes nothing.
    expect((await call(users.lan, "POST", "/api/requests/HT-000001/take")).statusCode).toBe(200);
    const mine = (await call(users.lan, "GET", "/api/requests?queue=mine")).json();
    expect(mine.requests.map((r: { id: string }) => r.id)).toEqual(["HT-000001"]);
    expect(mine.counts.mine).toBe(1);
    await waitFor(async () =>
      (await view("HT-000001")).transcript.some((e: { event?: string }) => e.event === "taken"),
    );
  });

  it("takes one of two simultaneous takes, refuses the other", async () => {
    const [a, b] = await Promise.all([
      call(users.minh, "POST", "/api/requests/HT-000002/take"),
      call(users.hoa, "POST", "/api/requests/HT-000002/take"),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
  });

  it("delivers a reply to the user; a private note never reaches them", async () => {
    expect(
      (await call(users.lan, "POST", "/api/requests/HT-000001/notes", { text: "khách VIP, ưu tiên xử lý" })).statusCode,
    ).toBe(201);
    const reply = await call(users.lan, "POST", "/api/requests/HT-000001/reply", {
      text: "Chào anh, em kiểm tra ngay ạ",
    });
    expect(reply.statusCode).toBe(202);
    await waitFor(() => userGot("Chào anh, em kiểm tra ngay ạ"), 5000, "the reply");
    const v = await view("HT-000001");
    const note = v.transcript.find((e: { kind?: string }) => e.kind === "note");
    expect(note).toMatchObject({ from: "operator", text: "khách VIP, ưu tiên xử lý", by: "LAN" });
    expect(v.transcript.find((e: { text: string }) => e.text === "Chào anh, em kiểm tra ngay ạ")).toMatchObject({
      from: "operator",
      by: "LAN",
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(userGot("khách VIP")).toBe(false);
    // The operators' group (colleagues) may show it, as a note; nothing else carries it.
    expect(h.ops.jobs.filter((j) => j.text?.includes("khách VIP")).map((j) => j.op)).toEqual(["note"]);
    // Empty words are refused.
    expect((await call(users.lan, "POST", "/api/requests/HT-000001/notes", { text: "   " })).statusCode).toBe(400);
  });

  it("shows a reply the platform refused on that message, with the platform's error", async () => {
    zalo.failPersons = true;
    try {
      await call(users.lan, "POST", "/api/requests/HT-000001/reply", { text: "Anh còn đó không ạ?" });
      const failed = await waitFor(
        async () =>
          (await view("HT-000001")).transcript.find(
            (e: { text: string; error?: string }) => e.text === "Anh còn đó không ạ?" && e.error,
          ),
        5000,
        "the failure on the message",
      );
      expect(failed.error).toMatch(/-230/);
      // Only that message: the earlier one went through.
      const ok = (await view("HT-000001")).transcript.find(
        (e: { text: string }) => e.text === "Chào anh, em kiểm tra ngay ạ",
      );
      expect(ok.error).toBeUndefined();
      expect((await view("HT-000001")).transcript.some((e: { kind?: string }) => e.kind === "failure")).toBe(false);
    } finally {
      zalo.failPersons = false;
    }
  });

  it("lets leads assign (agents may not), closes with the user told, reopens, hands back to the bot", async () => {
    expect((await call(users.lan, "POST", "/api/requests/HT-000002/assign", { operator: "lan" })).statusCode).toBe(403);
    const assign = await call(users.hoa, "POST", "/api/requests/HT-000002/assign", { operator: "lan" });
    expect(assign.statusCode).toBe(200);
    expect(assign.json().request.assignee).toBe("lan");
    expect((await call(users.hoa, "POST", "/api/requests/HT-000002/assign", { operator: "nobody" })).statusCode).toBe(
      400,
    );

    expect((await call(users.lan, "POST", "/api/requests/HT-000002/close")).statusCode).toBe(202);
    await waitFor(() => userGot("HT-000002 của bạn đã được nhân viên xử lý xong"), 5000, "the user told");
    expect((await call(users.lan, "POST", "/api/requests/HT-000002/close")).statusCode).toBe(409);
    expect((await call(users.lan, "POST", "/api/requests/HT-000002/reply", { text: "x" })).statusCode).toBe(409);
    const resolved = (await call(users.lan, "GET", "/api/requests?queue=resolved")).json();
    expect(resolved.requests.map((r: { id: string }) => r.id)).toEqual(["HT-000002"]);

    expect((await call(users.lan, "POST", "/api/requests/HT-000002/reopen")).statusCode).toBe(202);
    expect((await call(users.lan, "POST", "/api/requests/HT-000002/reopen")).statusCode).toBe(409);
    await waitFor(async () =>
      (await view("HT-000002")).transcript.some((e: { event?: string }) => e.event === "reopened"),
    );
    const events = (await view("HT-000002")).transcript
      .filter((e: { kind?: string }) => e.kind === "event")
      .map((e: { event: string; by?: string }) => `${e.event}:${e.by ?? ""}`);
    expect(events).toEqual(
      expect.arrayContaining(["escalated:", "assigned:HOA", "taken:lan", "closed:LAN", "reopened:LAN"]),
    );
    // The user writes again: it goes to the request (a person handles it), not to the bot.
    await h.say("mình vẫn chưa được", { user: "c1" });
    await waitFor(async () =>
      (await view("HT-000002")).transcript.some((e: { text: string }) => e.text === "mình vẫn chưa được"),
    );

    expect((await call(users.lan, "POST", "/api/requests/HT-000002/back-to-bot")).statusCode).toBe(202);
    await waitFor(() => userGot("Mình (trợ lý tự động) tiếp tục hỗ trợ bạn"), 5000, "back to the bot");
  });

  it("keeps the Telegram group in step: console actions are posted there, group actions show in the console", async () => {
    const ops = (id: string) => h.ops.jobs.filter((j) => j.requestId === id).map((j) => `${j.op}:${j.operator ?? ""}`);
    const steps = ["post:", "taken:", "closed:LAN", "reopened:LAN", "back_to_bot:LAN"];
    await waitFor(() => steps.every((s) => ops("HT-000002").includes(s)), 5000, ops("HT-000002").join());
    // An operator in the group takes HT-000001 over and closes it: the console shows both steps.
    const r = await h.hotro.backend.requests.get("HT-000001");
    await h.hotro.runtime.control(
      r?.conv ?? "",
      { kind: "request_taken", requestId: "HT-000001", operator: "Thu" },
      "tg:1",
    );
    await h.hotro.runtime.control(
      r?.conv ?? "",
      { kind: "request_closed", requestId: "HT-000001", operator: "Thu" },
      "tg:2",
    );
    const v = await waitFor(async () => {
      const x = await view("HT-000001");
      return x.request.status === "resolved" && x;
    });
    expect(v.request.assignee).toBe("Thu");
    const events = v.transcript
      .filter((e: { kind?: string }) => e.kind === "event")
      .map((e: { event: string; by?: string }) => `${e.event}:${e.by}`);
    expect(events.slice(-2)).toEqual(["taken:Thu", "closed:Thu"]);
    expect((await call(users.lan, "POST", "/api/requests/HT-000001/reopen")).statusCode).toBe(202);
  });

  it("keeps canned replies that leads write and fills their variables for a request", async () => {
    const text = "Chào {name}, yêu cầu {request_id} đang được {operator} xử lý. Hotline: {hotline}";
    expect((await call(users.lan, "POST", "/api/canned", { shortcut: "chao", text })).statusCode).toBe(403);
    const made = await call(users.hoa, "POST", "/api/canned", { shortcut: "/Chao", text });
    expect(made.statusCode).toBe(201);
    expect(made.json().canned.shortcut).toBe("chao");
    expect((await call(users.hoa, "POST", "/api/canned", { shortcut: "chao", text: "x" })).statusCode).toBe(409);
    expect((await call(users.hoa, "POST", "/api/canned", { shortcut: "có dấu", text: "x" })).statusCode).toBe(400);
    const filled = (await call(users.lan, "GET", "/api/requests/HT-000001/canned")).json().canned;
    expect(filled).toEqual([
      {
        id: made.json().canned.id,
        shortcut: "chao",
        text: "Chào Nguyễn Văn Minh, yêu cầu HT-000001 đang được LAN xử lý. Hotline: 1900 6868, 028 3822 6868",
      },
    ]);
    const id = made.json().canned.id;
    expect(
      (await call(users.hoa, "PUT", `/api/canned/${id}`, { shortcut: "hello", text: "Hi {name}" })).statusCode,
    ).toBe(200);
    expect(
      (await call(users.lan, "GET", "/api/canned")).json().canned.map((c: { shortcut: string }) => c.shortcut),
    ).toEqual(["hello"]);
    expect((await call(users.lan, "DELETE", `/api/canned/${id}`)).statusCode).toBe(403);
    expect((await call(users.hoa, "DELETE", `/api/canned/${id}`)).statusCode).toBe(200);
    expect((await call(users.hoa, "DELETE", `/api/canned/${id}`)).statusCode).toBe(404);
  });

  it("exports one request as JSON and as a printable page", async () => {
    const json = await call(users.lan, "GET", "/api/requests/HT-000001/export");
    expect(json.headers["content-disposition"]).toContain("HT-000001.json");
    expect(json.json()).toMatchObject({ request: { id: "HT-000001" }, exportedBy: "lan" });
    const html = await call(users.lan, "GET", "/api/requests/HT-000001/export?format=html&lang=en");
    expect(html.headers["content-type"]).toContain("text/html");
    expect(html.headers["content-security-policy"]).toMatch(/default-src 'none'; style-src 'sha256-/);
    expect(html.body).toContain("Nguyễn Văn Minh");
    expect(html.body).toContain("khách VIP, ưu tiên xử lý");
    expect(html.body).toContain("Not delivered: zalo -230");
    expect(html.body).not.toContain("<script");
  });
});

describe.runIf(await redisReachable())("the desk API on Redis, two processes", () => {
  it("gives a request to one of two operators taking it at once on different processes", async () => {
    const prefix = `test:desk-api:${randomUUID()}:`;
    const [p1, p2] = await Promise.all(
      [0, 1].map(() => harness({ redisPrefix: prefix, operators: true, plugins: [operatorApi] })),
    );
    if (!p1 || !p2) throw new Error("no harness");
    try {
      await p1.hotro.desk.accounts.add({ name: "lan", role: "agent", password: PASSWORD });
      await p1.hotro.desk.accounts.add({ name: "minh", role: "agent", password: PASSWORD });
      // Either process may handle the turn (one Redis inbox): wait for the request, not for p1.
      await p1.hotro.runtime.accept([
        {
          id: `cli:${randomUUID()}`,
          channel: "cli",
          userId: "r1",
          timestamp: Date.now(),
          kind: "message",
          text: "cho mình gặp nhân viên",
        },
      ]);
      await waitFor(() => p2.hotro.backend.requests.get("HT-000001"), 10_000, "the request");
      const login = async (p: Harness, username: string) => {
        const res = await p.hotro.app.inject({
          method: "POST",
          url: "/api/login",
          payload: { username, password: PASSWORD },
        });
        return {
          cookies: { [COOKIE]: res.cookies.find((c) => c.name === COOKIE)?.value ?? "" },
          headers: { "x-csrf-token": res.json().csrf },
        };
      };
      const [a, b] = await Promise.all([login(p1, "lan"), login(p2, "minh")]);
      const [ra, rb] = await Promise.all([
        p1.hotro.app.inject({ method: "POST", url: "/api/requests/HT-000001/take", ...a }),
        p2.hotro.app.inject({ method: "POST", url: "/api/requests/HT-000001/take", ...b }),
      ]);
      expect([ra.statusCode, rb.statusCode].sort()).toEqual([200, 409]);
      const found = await p2.hotro.app.inject({ url: "/api/requests?q=GAP%20NHAN%20VIEN", ...b });
      expect(found.json().requests.map((r: { id: string }) => r.id)).toEqual(["HT-000001"]);
    } finally {
      await p1.close();
      await p2.close();
      await flushPrefix(prefix);
    }
  });
});
