import { randomUUID } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts } from "../../src/desk/accounts.js";
import { ConsoleSessions, hashToken } from "../../src/desk/sessions.js";
import { LoginThrottle, networkOf } from "../../src/desk/throttle.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { type Harness, harness } from "../helpers/harness.js";
import { flushPrefix, redisReachable } from "../helpers/redis.js";
import { memoryLog } from "../zalo/fake-zalo.js";

const TOKEN = "op-api-token-0123456789";
const PASSWORD = "a long enough password";
const COOKIE = "hotro_console";

type H = Harness["hotro"];

async function login(
  hotro: H,
  username: string,
  password = PASSWORD,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return hotro.app.inject({ method: "POST", url: "/api/login", payload: { username, password }, headers });
}

/** Log in; the session token from the cookie and the csrf from the body. */
async function session(hotro: H, username: string): Promise<{ token: string; csrf: string }> {
  const res = await login(hotro, username);
  expect(res.statusCode).toBe(200);
  const token = res.cookies.find((c) => c.name === COOKIE)?.value ?? "";
  return { token, csrf: res.json().csrf };
}

const as = (s: { token: string; csrf?: string }, withCsrf = true) => ({
  cookies: { [COOKIE]: s.token },
  headers: withCsrf && s.csrf ? { "x-csrf-token": s.csrf } : {},
});

describe("console login, sessions and CSRF", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({
      operators: true,
      plugins: [operatorApi],
      env: { OPERATOR_API_TOKEN: TOKEN, TRUST_PROXY: "1" },
    });
    const accounts = h.hotro.desk.accounts;
    await accounts.add({ name: "admin", role: "admin", password: PASSWORD });
    await accounts.add({ name: "lan", role: "agent", password: PASSWORD, displayName: "Lan Nguyễn" });
    await accounts.add({ name: "hoa", role: "lead", password: PASSWORD });
  });
  afterAll(() => h.close());

  it("logs in with a HttpOnly, SameSite=Strict cookie for /api and a CSRF value; /api/me says who", async () => {
    const res = await login(h.hotro, "Lan");
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.operator).toEqual({ name: "lan", displayName: "Lan Nguyễn", role: "agent" });
    expect(body.csrf).toMatch(/^[\w-]{43}$/);
    const cookie = res.cookies.find((c) => c.name === COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api" });
    expect(cookie?.secure).toBeFalsy();
    expect(cookie?.value).toMatch(/^[\w-]{43}$/); // 256 random bits
    expect(res.headers["cache-control"]).toBe("no-store");
    // Only the token's hash is stored.
    const token = cookie?.value ?? "";
    expect(await h.hotro.backend.desk.logins.get(hashToken(token))).toMatchObject({ operator: "lan" });
    expect(await h.hotro.backend.desk.logins.get(token)).toBeUndefined();

    const me = await h.hotro.app.inject({ url: "/api/me", ...as({ token }) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      operator: { name: "lan", displayName: "Lan Nguyễn", role: "agent", via: "session" },
      csrf: body.csrf,
    });
    // A request without the cookie (another site's, or nobody's) is refused.
    expect((await h.hotro.app.inject({ url: "/api/me" })).statusCode).toBe(401);
    expect((await h.hotro.app.inject({ url: "/api/requests", cookies: { [COOKIE]: `${token}x` } })).statusCode).toBe(
      401,
    );
  });

  it("marks the cookie Secure when the request came over HTTPS through the trusted proxy", async () => {
    const res = await login(h.hotro, "hoa", PASSWORD, { "x-forwarded-proto": "https" });
    expect(res.cookies.find((c) => c.name === COOKIE)?.secure).toBe(true);
  });

  it("answers a wrong password or an unknown name 401, the same way", async () => {
    const wrong = await login(h.hotro, "hoa", "not the password");
    const unknown = await login(h.hotro, "nobody-here", PASSWORD);
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.cookies).toHaveLength(0);
    expect((await login(h.hotro, "", "")).statusCode).toBe(400);
  });

  it("refuses a write made with the cookie but without the login's CSRF token (403)", async () => {
    const s = await session(h.hotro, "admin");
    const write = (headers: Record<string, string>) =>
      h.hotro.app.inject({
        method: "POST",
        url: "/api/operators",
        cookies: { [COOKIE]: s.token },
        headers,
        payload: { name: "newbie", role: "agent", password: PASSWORD },
      });
    expect((await write({})).statusCode).toBe(403);
    expect((await write({ "x-csrf-token": "" })).statusCode).toBe(403);
    expect((await write({ "x-csrf-token": `${s.csrf.slice(0, -1)}A` })).statusCode).toBe(403);
    expect((await h.hotro.desk.accounts.get("newbie")) === undefined).toBe(true);
    // Another login's csrf does not fit this one.
    const other = await session(h.hotro, "admin");
    expect((await write({ "x-csrf-token": other.csrf })).statusCode).toBe(403);
    expect((await write({ "x-csrf-token": s.csrf })).statusCode).toBe(201);
    // Reads need no CSRF token; the bearer token needs none either.
    expect((await h.hotro.app.inject({ url: "/api/requests", ...as(s, false) })).statusCode).toBe(200);
    const bearer = await h.hotro.app.inject({
      method: "DELETE",
      url: "/api/operators/newbie",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.statusCode).toBe(200);
  });

  it("lets only admins manage operators (403 for agents and leads)", async () => {
    for (const name of ["lan", "hoa"]) {
      const s = await session(h.hotro, name);
      const calls = [
        { method: "POST" as const, url: "/api/operators", payload: { name: "x9", role: "admin", password: PASSWORD } },
        { method: "PATCH" as const, url: "/api/operators/admin", payload: { password: "taken over now!" } },
        { method: "DELETE" as const, url: "/api/operators/admin" },
      ];
      for (const c of calls) {
        const res = await h.hotro.app.inject({ ...c, ...as(s) });
        expect({ name, url: c.url, status: res.statusCode }).toEqual({ name, url: c.url, status: 403 });
      }
      // Listing is for everyone (assigning, who is online); never with a password hash.
      const list = await h.hotro.app.inject({ url: "/api/operators", ...as(s) });
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain("scrypt");
    }
    expect(await h.hotro.desk.accounts.verify("admin", PASSWORD)).toBeDefined();
  });

  it("refuses a logged-out cookie, and every login of an operator whose password changed or who was removed", async () => {
    const s = await session(h.hotro, "lan");
    const out = await h.hotro.app.inject({ method: "POST", url: "/api/logout", ...as(s) });
    expect(out.statusCode).toBe(200);
    expect(out.cookies.find((c) => c.name === COOKIE)?.value).toBe("");
    expect((await h.hotro.app.inject({ url: "/api/me", ...as(s) })).statusCode).toBe(401);
    expect((await h.hotro.app.inject({ url: "/api/requests", ...as(s) })).statusCode).toBe(401);

    const a = await session(h.hotro, "lan");
    const b = await session(h.hotro, "lan");
    const admin = await session(h.hotro, "admin");
    const change = await h.hotro.app.inject({
      method: "PATCH",
      url: "/api/operators/lan",
      payload: { password: "lan's new password" },
      ...as(admin),
    });
    expect(change.json().loginsEnded).toBeGreaterThanOrEqual(2);
    for (const x of [a, b]) expect((await h.hotro.app.inject({ url: "/api/me", ...as(x) })).statusCode).toBe(401);
    expect((await login(h.hotro, "lan")).statusCode).toBe(401);
    expect((await login(h.hotro, "lan", "lan's new password")).statusCode).toBe(200);

    await h.hotro.desk.accounts.add({ name: "temp", role: "agent", password: PASSWORD });
    const t = await session(h.hotro, "temp");
    await h.hotro.app.inject({ method: "DELETE", url: "/api/operators/temp", ...as(admin) });
    expect((await h.hotro.app.inject({ url: "/api/me", ...as(t) })).statusCode).toBe(401);
  });
});

describe("too many failed logins", () => {
  it("answers 429 after a burst of failures on one account, even for the right password, and per network", async () => {
    const h = await harness({ plugins: [operatorApi], env: { TRUST_PROXY: "1" } });
    try {
      await h.hotro.desk.accounts.add({ name: "minh", role: "agent", password: PASSWORD });
      const from = (ip: string) => ({ "x-forwarded-for": ip });
      // A burst in parallel: five take their place, the rest are refused at once.
      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) => login(h.hotro, "minh", `guess number ${i}`, from("203.0.113.7"))),
      );
      const codes = burst.map((r) => r.statusCode).sort();
      expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      const limited = await login(h.hotro, "minh", PASSWORD, from("198.51.100.1"));
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(800);
      expect(limited.cookies).toHaveLength(0);

      // One network guessing many names: stopped after 20 failures whatever the names.
      const net = from("2001:db8:1:2::99");
      const spread = [];
      for (let i = 0; i < 21; i++) spread.push((await login(h.hotro, `user${i}`, "x", net)).statusCode);
      expect(spread.slice(0, 20).every((c) => c === 401)).toBe(true);
      expect(spread[20]).toBe(429);
      // Another address of the same IPv6 /64 is the same network.
      expect((await login(h.hotro, "someone", "x", from("2001:db8:1:2:abcd::1"))).statusCode).toBe(429);
    } finally {
      await h.close();
    }
  });

  it("counts per network, IPv6 by its /64", () => {
    expect(networkOf("203.0.113.7")).toBe("203.0.113.7");
    expect(networkOf("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(networkOf("2001:db8:1:2::99")).toBe("2001:db8:1:2::/64");
    expect(networkOf("2001:0db8:0001:0002:abcd:0:0:1")).toBe("2001:db8:1:2::/64");
    expect(networkOf("::1")).toBe("0:0:0:0::/64");
  });
});

describe("session limits", () => {
  it("ends a login after the idle limit, and after the absolute one however busy", async () => {
    const b = embeddedBackend(":memory:", memoryLog().log, "HT");
    let now = Date.now();
    const clock = () => now;
    const accounts = new Accounts(b.desk, clock);
    await accounts.add({ name: "lan", role: "agent", password: PASSWORD });
    const sessions = new ConsoleSessions(
      b.desk,
      accounts,
      new LoginThrottle(b.kv, b.withLock, undefined, clock),
      { idleMs: 10 * 60_000, maxMs: 60 * 60_000 },
      clock,
    );
    try {
      const r = await sessions.login("lan", PASSWORD, "127.0.0.1");
      if (!r.ok) throw new Error("login failed");
      // Busy: a request every 9 minutes keeps it alive...
      for (let i = 0; i < 6; i++) {
        now += 9 * 60_000;
        expect(await sessions.resolve(r.token)).toBeDefined();
      }
      // ...until the absolute end.
      now += 9 * 60_000;
      expect(await sessions.resolve(r.token)).toBeUndefined();
      const idle = await sessions.login("lan", PASSWORD, "127.0.0.1");
      if (!idle.ok) throw new Error("login failed");
      now += 11 * 60_000;
      expect(await sessions.resolve(idle.token)).toBeUndefined();
    } finally {
      await b.close();
    }
  });
});

describe.runIf(await redisReachable())("console login on Redis", () => {
  it("logs in on one process and is recognised, logged out and refused on another", async () => {
    const prefix = `test:login:${randomUUID()}:`;
    const [p1, p2] = await Promise.all([0, 1].map(() => harness({ redisPrefix: prefix, plugins: [operatorApi] })));
    if (!p1 || !p2) throw new Error("no harness");
    try {
      await p1.hotro.desk.accounts.add({ name: "lan", role: "agent", password: PASSWORD });
      const s = await session(p1.hotro, "lan");
      expect((await p2.hotro.app.inject({ url: "/api/me", ...as(s) })).json().operator.name).toBe("lan");
      await p2.hotro.app.inject({ method: "POST", url: "/api/logout", ...as(s) });
      expect((await p1.hotro.app.inject({ url: "/api/me", ...as(s) })).statusCode).toBe(401);
      // Failures counted together across processes.
      for (let i = 0; i < 5; i++) await login(i % 2 ? p1.hotro : p2.hotro, "lan", "wrong guess");
      expect((await login(p2.hotro, "lan")).statusCode).toBe(429);
    } finally {
      await p1.close();
      await p2.close();
      await flushPrefix(prefix);
    }
  });
});
