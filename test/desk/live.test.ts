import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveFrame } from "../../src/server/api/live.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness, textOf } from "../helpers/harness.js";
import { flushPrefix, redisReachable } from "../helpers/redis.js";

const PASSWORD = "a long enough password";
const COOKIE = "hotro_console";
const TUESDAY_10H = new Date("2026-11-24T03:00:00Z");

interface WsSocket {
  readonly readyState: number;
  close(): void;
  on(event: "message", fn: (data: Buffer) => void): void;
  on(event: "open", fn: () => void): void;
  on(event: "close", fn: (code: number) => void): void;
  on(event: "error", fn: (err: Error) => void): void;
}
const WebSocket = createRequire(import.meta.url)("ws").WebSocket as new (
  url: string,
  opts?: { headers?: Record<string, string> },
) => WsSocket;

/** A console's live feed, as a script sees it. */
class Feed {
  readonly frames: LiveFrame[] = [];
  closed?: number;
  private constructor(readonly ws: WsSocket) {
    ws.on("message", (d) => this.frames.push(JSON.parse(d.toString()) as LiveFrame));
    ws.on("close", (code) => {
      this.closed = code;
    });
  }
  static open(base: string, token: string, origin = base): Promise<Feed> {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/live`, {
      headers: { cookie: `${COOKIE}=${token}`, origin },
    });
    const f = new Feed(ws);
    return new Promise((resolve, reject) => {
      ws.on("open", () => resolve(f));
      ws.on("error", reject);
    });
  }
  wait(match: (f: LiveFrame) => boolean, what: string): Promise<LiveFrame> {
    return waitFor(() => this.frames.find(match), 5000, what);
  }
}

async function loginAs(h: Harness, username: string): Promise<{ token: string; csrf: string }> {
  const res = await h.hotro.app.inject({
    method: "POST",
    url: "/api/login",
    payload: { username, password: PASSWORD },
  });
  return { token: res.cookies.find((c) => c.name === COOKIE)?.value ?? "", csrf: res.json().csrf };
}

async function listen(h: Harness): Promise<string> {
  await h.hotro.app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(h.hotro.app.server.address() as AddressInfo).port}`;
}

describe("the console's live feed, on one process", () => {
  let h: Harness;
  let base: string;
  const feeds: Feed[] = [];
  beforeAll(async () => {
    // No Telegram group: the console is the only desk surface.
    h = await harness({ plugins: [operatorApi], now: () => TUESDAY_10H });
    base = await listen(h);
  });
  afterAll(async () => {
    for (const f of feeds) f.ws.close();
    await h.close();
  });

  it("without any operator account, tells the user nobody can answer here", async () => {
    const reply = textOf(await h.say("cho mình gặp nhân viên", { user: "early" }));
    expect(reply).toContain("chưa kết nối được với nhân viên");
  });

  it("with accounts but nobody online, tells the user a person will answer when one is on shift", async () => {
    await h.hotro.desk.accounts.add({ name: "lan", role: "agent", password: PASSWORD, displayName: "Lan" });
    await h.hotro.desk.accounts.add({ name: "minh", role: "agent", password: PASSWORD, displayName: "Minh" });
    await new Promise((r) => setTimeout(r, 3_100)); // the engine's view of the desk is kept 3 s
    const reply = textOf(await h.say("cho mình gặp nhân viên", { user: "nobody-online" }));
    expect(reply).toContain("chưa có nhân viên trực tuyến");
    // And the bot keeps quiet now: a person will take the conversation.
    expect(await h.say("alo", { user: "nobody-online" })).toEqual([]);
  });

  it("refuses a feed without a login, or from another site's page", async () => {
    const s = await loginAs(h, "lan");
    await expect(Feed.open(base, "not-a-token")).rejects.toThrow(/401/);
    await expect(Feed.open(base, s.token, "https://evil.example")).rejects.toThrow(/403/);
  });

  it("shows both consoles a new escalation, a user's message, another operator's take; presence too", async () => {
    const lan = await loginAs(h, "lan");
    const minh = await loginAs(h, "minh");
    const a = await Feed.open(base, lan.token);
    const b = await Feed.open(base, minh.token);
    feeds.push(a, b);
    await b.wait((f) => f.type === "presence" && f.online.length === 2, "both online");
    const online = (await h.hotro.app.inject({ url: "/api/presence", cookies: { [COOKIE]: lan.token } })).json();
    expect(online.online.map((o: { name: string }) => o.name)).toEqual(["lan", "minh"]);

    await new Promise((r) => setTimeout(r, 3_100));
    const reply = textOf(await h.say("cho mình gặp nhân viên", { user: "live-user" }));
    // Someone is online now: the usual hand-off message.
    expect(reply).toContain("Mình đang chuyển bạn sang nhân viên hỗ trợ");
    const created = (f: LiveFrame) =>
      f.type === "request" && f.change === "created" && f.request.conv === "cli:live-user";
    const [ca] = await Promise.all([a.wait(created, "a: created"), b.wait(created, "b: created")]);
    const id = ca.type === "request" ? ca.request.id : "";
    expect(ca).toMatchObject({ request: { handoff: true, status: "open" } });

    await h.say("mình đợi nãy giờ rồi", { user: "live-user" });
    const said = (f: LiveFrame) => f.type === "entry" && f.requestId === id && f.entry.text === "mình đợi nãy giờ rồi";
    await Promise.all([a.wait(said, "a: the user's message"), b.wait(said, "b: the user's message")]);

    const take = await h.hotro.app.inject({
      method: "POST",
      url: `/api/requests/${id}/take`,
      cookies: { [COOKIE]: lan.token },
      headers: { "x-csrf-token": lan.csrf },
    });
    expect(take.statusCode).toBe(200);
    await b.wait((f) => f.type === "request" && f.request.id === id && f.request.assignee === "lan", "b: lan took it");
    await b.wait((f) => f.type === "entry" && f.requestId === id && f.entry.event === "taken", "b: the event line");

    // A note is live for colleagues too.
    await h.hotro.app.inject({
      method: "POST",
      url: `/api/requests/${id}/notes`,
      cookies: { [COOKIE]: lan.token },
      headers: { "x-csrf-token": lan.csrf },
      payload: { text: "đã gọi lại cho khách" },
    });
    await b.wait((f) => f.type === "entry" && f.entry.kind === "note", "b: the note");

    // Minh closes his console: lan's sees him leave.
    b.ws.close();
    await a.wait((f) => f.type === "presence" && f.online.length === 1 && f.online[0]?.name === "lan", "minh left");
  });

  it("closes the feed of a login that ended", async () => {
    const s = await loginAs(h, "minh");
    const f = await Feed.open(base, s.token);
    feeds.push(f);
    await h.hotro.app.inject({
      method: "POST",
      url: "/api/logout",
      cookies: { [COOKIE]: s.token },
      headers: { "x-csrf-token": s.csrf },
    });
    // Refused at once on the next connection; the open one ends at its next heartbeat.
    await expect(Feed.open(base, s.token)).rejects.toThrow(/401/);
  });

  it("a notice for the leads reaches a lead's console, not an agent's", async () => {
    await h.hotro.desk.accounts.add({ name: "hoa", role: "lead", password: PASSWORD, displayName: "Hoa" });
    const lead = await Feed.open(base, (await loginAs(h, "hoa")).token);
    const agent = await Feed.open(base, (await loginAs(h, "lan")).token);
    feeds.push(lead, agent);
    await lead.wait((f) => f.type === "hello", "lead: hello");
    await agent.wait((f) => f.type === "hello", "agent: hello");
    expect(await h.hotro.notices.lowRating("HT-000001", 1, "zalo", "chậm quá")).toBe(true);
    const got = await lead.wait((f) => f.type === "notice", "the lead's notice");
    expect(got).toMatchObject({ type: "notice", notice: { type: "csat_low", requestId: "HT-000001" } });
    expect(JSON.stringify(got)).toContain("chậm quá");
    // Sent once: the same rating does not notify again.
    expect(await h.hotro.notices.lowRating("HT-000001", 1, "zalo", "chậm quá")).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(agent.frames.some((f) => f.type === "notice")).toBe(false);
  });
});

describe.runIf(await redisReachable())("the console's live feed across processes (Redis)", () => {
  it("shows a console on one process what another process handled", async () => {
    const prefix = `test:live:${randomUUID()}:`;
    const [p1, p2] = await Promise.all(
      [0, 1].map(() => harness({ redisPrefix: prefix, plugins: [operatorApi], now: () => TUESDAY_10H })),
    );
    if (!p1 || !p2) throw new Error("no harness");
    try {
      await p1.hotro.desk.accounts.add({ name: "lan", role: "agent", password: PASSWORD });
      const base2 = await listen(p2);
      const feed = await Feed.open(base2, (await loginAs(p2, "lan")).token);
      await feed.wait((f) => f.type === "hello", "hello");
      // Presence is shared: p1's engine sees lan online (on p2).
      expect((await p1.hotro.desk.presence.online()).map((o) => o.name)).toEqual(["lan"]);
      await p1.hotro.runtime.accept([
        {
          id: `cli:${randomUUID()}`,
          channel: "cli",
          userId: "x1",
          timestamp: Date.now(),
          kind: "message",
          text: "gặp nhân viên",
        },
      ]);
      await feed.wait((f) => f.type === "request" && f.change === "created" && f.request.conv === "cli:x1", "created");
      feed.ws.close();
    } finally {
      await p1.close();
      await p2.close();
      await flushPrefix(prefix);
    }
  });
});
