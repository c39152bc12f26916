import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ZaloChannel } from "../../adapters/zalo/channel.js";
import { fingerprint, tokenKey } from "../../adapters/zalo/tokens.js";
import type { TokenRecord } from "../../adapters/zalo/types.js";
import type { ChannelDeps } from "../../src/ports/channel.js";
import type { SendJob } from "../../src/ports/queue.js";
import { redisBackend } from "../../src/store/redis/backend.js";
import { harness } from "../helpers/harness.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";
import { APP_ID, channel, ENV_REFRESH, embeddedDeps, FakeZalo, memoryLog, USER } from "./fake-zalo.js";

const HOUR = 3600_000;
const job = (i: number): SendJob => ({
  kind: "send",
  channel: "zalo",
  userId: USER,
  conv: `zalo:${USER}`,
  message: { text: `message ${i}` },
});
const refreshTokensUsed = (z: FakeZalo) => z.refreshes().map((r) => (r.body as Record<string, string>).refresh_token);

/** A clock the tests move. */
function clock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("tokens on one process (embedded store)", () => {
  let z: FakeZalo;
  let deps: ReturnType<typeof embeddedDeps>;
  let lines: string[];
  const open: ZaloChannel[] = [];
  const make = (extra: Parameters<typeof channel>[2] = {}, d: ChannelDeps = deps) => {
    const c = channel(z, d, extra);
    open.push(c);
    return c;
  };

  beforeEach(async () => {
    z = await new FakeZalo().start();
    const m = memoryLog();
    lines = m.lines;
    deps = embeddedDeps(m.log);
  });
  afterEach(async () => {
    for (const c of open.splice(0)) await c.stop();
    await deps.close();
    await z.stop();
  });

  it("50 concurrent sends with an expired access token: exactly one refresh, all 50 delivered", async () => {
    const c = clock();
    const zalo = make({ now: c.now });
    expect(await zalo.send(job(0))).toEqual({ ok: true }); // first pair: refresh-from-env-0 → access-1
    expect(z.refreshes()).toHaveLength(1);
    c.advance(25 * HOUR); // access-1 is past its 25 h
    z.refreshDelayMs = 150; // a slow OAuth server widens the race
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => zalo.send(job(i + 1))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(z.refreshes()).toHaveLength(2);
    expect(refreshTokensUsed(z)).toEqual([ENV_REFRESH, "refresh-1"]);
    expect(z.delivered()).toHaveLength(51);
    expect(
      z
        .delivered()
        .slice(1)
        .every((r) => r.headers.access_token === "access-2"),
    ).toBe(true);
  });

  it("50 concurrent sends whose token Zalo rejects (-216): exactly one refresh, all 50 delivered", async () => {
    const zalo = make();
    await zalo.send(job(0));
    z.validAccess.delete("access-1"); // revoked on Zalo's side before its expiry
    z.refreshDelayMs = 150;
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => zalo.send(job(i + 1))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(z.refreshes()).toHaveLength(2);
    expect(z.delivered()).toHaveLength(51);
  });

  it("stores the new pair before using it", async () => {
    const checks: boolean[] = [];
    z.api.on(async (r) => {
      if (r.path === "/v3.0/oa/message/cs") {
        const rec = (await deps.kv.get(tokenKey(APP_ID))) as TokenRecord | undefined;
        checks.push(rec?.accessToken === r.headers.access_token);
      }
      return undefined;
    });
    const zalo = make();
    await zalo.send(job(1));
    z.validAccess.delete("access-1");
    await zalo.send(job(2));
    // Every token sent (access-1, access-1 rejected, access-2) was in the store before it was used.
    expect(checks).toEqual([true, true, true]);
    expect(z.sends().map((r) => r.headers.access_token)).toEqual(["access-1", "access-1", "access-2"]);
    const rec = (await deps.kv.get(tokenKey(APP_ID))) as TokenRecord;
    expect(rec).toMatchObject({ accessToken: "access-2", refreshToken: "refresh-2", source: "refresh", version: 3 });
  });

  it("a restart uses the stored pair: the new access token, and the rotated refresh token", async () => {
    const first = make();
    await first.send(job(1));
    await first.stop();
    // Same store, same environment (ZALO_REFRESH_TOKEN is still the original, now burned, value).
    const second = make();
    await second.start();
    expect(await second.send(job(2))).toEqual({ ok: true });
    expect(z.refreshes()).toHaveLength(1);
    expect(z.delivered().at(-1)?.headers.access_token).toBe("access-1");
    z.validAccess.delete("access-1");
    expect(await second.send(job(3))).toEqual({ ok: true });
    expect(refreshTokensUsed(z)).toEqual([ENV_REFRESH, "refresh-1"]);
    expect(second.health()).toEqual({ ok: true });
  });

  it("ZALO_ACCESS_TOKEN is used while it works, then replaced", async () => {
    z.validAccess.add("env-access");
    const zalo = make({ accessToken: "env-access" });
    expect(await zalo.send(job(1))).toEqual({ ok: true });
    expect(z.refreshes()).toHaveLength(0);
    z.validAccess.delete("env-access");
    expect(await zalo.send(job(2))).toEqual({ ok: true });
    expect(z.refreshes()).toHaveLength(1);
  });

  it("a changed ZALO_REFRESH_TOKEN (an admin re-authorised) wins over the stored pair, once", async () => {
    const first = make();
    await first.send(job(1)); // stored: refresh-1, seeded from refresh-from-env-0
    await first.stop();
    z.validRefresh.add("refresh-new-from-admin");
    const second = make({ refreshToken: "refresh-new-from-admin" });
    await second.start();
    z.validAccess.delete("access-1");
    expect(await second.send(job(2))).toEqual({ ok: true });
    expect(refreshTokensUsed(z).at(-1)).toBe("refresh-new-from-admin");
    const rec = (await deps.kv.get(tokenKey(APP_ID))) as TokenRecord;
    expect(rec.envSeed).toBe(fingerprint("refresh-new-from-admin"));
    await second.stop();
    // The next restart with the same environment keeps the rotated stored pair.
    const third = make({ refreshToken: "refresh-new-from-admin" });
    z.validAccess.delete(rec.accessToken);
    expect(await third.send(job(3))).toEqual({ ok: true });
    expect(refreshTokensUsed(z).at(-1)).toBe(rec.refreshToken);
  });

  it("a pair written by zalo:authorize wins over the environment", async () => {
    const pair = z.issue(); // access-1 / refresh-1, as the code exchange would return
    await deps.kv.set(tokenKey(APP_ID), {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      accessExpiresAt: Date.now() + 25 * HOUR,
      version: 1,
      source: "authorize",
      updatedAt: Date.now(),
    } satisfies TokenRecord);
    const zalo = make();
    await zalo.start();
    expect(await zalo.send(job(1))).toEqual({ ok: true });
    expect(z.delivered()[0]?.headers.access_token).toBe("access-1");
    const rec = (await deps.kv.get(tokenKey(APP_ID))) as TokenRecord;
    expect(rec.envSeed).toBe(fingerprint(ENV_REFRESH));
    expect(rec.refreshToken).toBe("refresh-1");
  });

  it("a dead refresh token: /readyz reports Zalo down with the re-authorise reason, one error line, no more refresh attempts", async () => {
    z.validRefresh.clear(); // ZALO_REFRESH_TOKEN was used elsewhere, or expired
    const zalo = make();
    const h = await harness({ channels: [zalo] });
    try {
      const out = await zalo.send(job(1));
      expect(out).toMatchObject({ ok: false, permanent: false });
      expect(out.ok === false && out.error).toContain("npm run zalo:authorize");
      const ready = await h.hotro.app.inject({ url: "/readyz" });
      // One channel's lost token never takes the server out of the load balancer.
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: "degraded", degraded: ["zalo"] });
      const zaloCheck = (ready.json() as { checks: Record<string, { ok: boolean; reason?: string }> }).checks.zalo;
      expect(zaloCheck?.ok).toBe(false);
      expect(zaloCheck?.reason).toContain("re-authorise");
      expect(zaloCheck?.reason).toContain("npm run zalo:authorize");
      expect(zaloCheck?.reason).toContain("-14014");
      for (let i = 0; i < 5; i++) await zalo.send(job(2 + i));
      expect(z.refreshes()).toHaveLength(1);
      expect(z.sends()).toHaveLength(0);
      const errors = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("re-authorise");
      // An admin runs zalo:authorize: a new pair lands in the store; the adapter picks it up.
      const pair = z.issue();
      await deps.kv.set(tokenKey(APP_ID), {
        accessToken: pair.access_token,
        refreshToken: pair.refresh_token,
        accessExpiresAt: Date.now() + 25 * HOUR,
        version: 9,
        source: "authorize",
        updatedAt: Date.now(),
      } satisfies TokenRecord);
      expect(await zalo.send(job(9))).toEqual({ ok: true });
      expect((await h.hotro.app.inject({ url: "/readyz" })).json()).toMatchObject({ status: "ready", degraded: [] });
    } finally {
      await h.close();
    }
  });

  it("a refresh that fails on the network or with -32 is retried later and does not mark the grant dead", async () => {
    const zalo = make();
    z.oauth.times(1, () => true, { body: { error: -32, message: "rate limit" } });
    expect(await zalo.send(job(1))).toMatchObject({ ok: false, permanent: false });
    expect(zalo.health()).toEqual({ ok: true });
    z.oauth.times(1, () => true, { status: 503, body: "" });
    expect(await zalo.send(job(2))).toMatchObject({ ok: false, permanent: false });
    expect(zalo.health()).toEqual({ ok: true });
    const offline = make({ oauthUrl: "http://127.0.0.1:1" });
    expect(await offline.send(job(3))).toMatchObject({ ok: false, permanent: false });
    expect(offline.health()).toEqual({ ok: true });
    expect(await zalo.send(job(4))).toEqual({ ok: true }); // the env refresh token was never burned
  });

  it("if the store refuses the new pair, it is kept in memory, used, saved later, and /readyz says so meanwhile", async () => {
    const zalo = make();
    const set = vi.spyOn(deps.kv, "set");
    // Seeding works; the write after the refresh fails three times.
    await zalo.tokens.init();
    set
      .mockRejectedValueOnce(new Error("disk full"))
      .mockRejectedValueOnce(new Error("disk full"))
      .mockRejectedValueOnce(new Error("disk full"));
    expect(await zalo.send(job(1))).toEqual({ ok: true });
    expect(zalo.health().ok).toBe(false);
    expect(zalo.health().reason).toContain("could not be saved");
    expect(((await deps.kv.get(tokenKey(APP_ID))) as TokenRecord).accessToken).toBe("");
    expect(await zalo.send(job(2))).toEqual({ ok: true }); // saved at this use
    expect(zalo.health()).toEqual({ ok: true });
    expect(((await deps.kv.get(tokenKey(APP_ID))) as TokenRecord).refreshToken).toBe("refresh-1");
    expect(z.refreshes()).toHaveLength(1);
    set.mockRestore();
  });

  it("refreshes ahead: 5 minutes before expiry on use, and from the timer at 80% (20 h of 25)", async () => {
    const c = clock();
    const zalo = make({ now: c.now });
    await zalo.send(job(1));
    c.advance(19 * HOUR);
    await zalo.tokens.refreshIfDue();
    expect(z.refreshes()).toHaveLength(1);
    c.advance(1.5 * HOUR); // 20.5 h
    await Promise.all([zalo.tokens.refreshIfDue(), make({ now: c.now }).tokens.refreshIfDue()]);
    expect(z.refreshes()).toHaveLength(2); // two processes' timers, one refresh
    c.advance(25 * HOUR - 4 * 60_000); // 4 min before access-2 expires
    await zalo.send(job(2));
    expect(z.refreshes()).toHaveLength(3);
    expect(z.delivered().at(-1)?.headers.access_token).toBe("access-3");
  });

  it("the timer refreshes at start-up when there is no access token yet", async () => {
    const zalo = make({ refreshTimer: true });
    await zalo.start();
    const deadline = Date.now() + 5000;
    while (z.refreshes().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(z.refreshes()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(z.refreshes()).toHaveLength(1);
  });
});

const redisUp = await redisReachable();

describe.runIf(redisUp)("tokens across processes (Redis)", () => {
  const prefix = `hotro-test:zalo:${randomUUID()}:`;
  afterAll(() => flushPrefix(prefix));

  async function twoProcesses(name: string) {
    const z = await new FakeZalo().start();
    const { log } = memoryLog();
    const p = `${prefix}${name}:`;
    const backends = [0, 1].map(() => redisBackend({ url: redisUrl(), prefix: p, requestPrefix: "HT", log }));
    const c = clock();
    const adapters = backends.map((b) =>
      channel(z, { log, kv: b.kv, withLock: b.withLock, bus: b.bus }, { now: c.now }),
    );
    return {
      z,
      c,
      adapters,
      close: async () => {
        for (const a of adapters) await a.stop();
        for (const b of backends) await b.close();
        await z.stop();
      },
    };
  }

  it("50 concurrent sends over two processes with an expired access token: exactly one refresh, all delivered", async () => {
    const { z, c, adapters, close } = await twoProcesses("expired");
    try {
      const [a, b] = adapters as [ZaloChannel, ZaloChannel];
      expect(await a.send(job(0))).toEqual({ ok: true });
      expect(z.refreshes()).toHaveLength(1);
      c.advance(25 * HOUR);
      z.refreshDelayMs = 200;
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).send(job(i + 1))));
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(z.refreshes()).toHaveLength(2);
      expect(refreshTokensUsed(z)).toEqual([ENV_REFRESH, "refresh-1"]);
      expect(z.delivered()).toHaveLength(51);
      expect(a.health().ok && b.health().ok).toBe(true);
    } finally {
      await close();
    }
  });

  it("two processes told -216 at once: one refresh between them", async () => {
    const { z, adapters, close } = await twoProcesses("rejected");
    try {
      const [a, b] = adapters as [ZaloChannel, ZaloChannel];
      await a.send(job(0));
      await b.send(job(0)); // b reads the same stored pair: no refresh
      expect(z.refreshes()).toHaveLength(1);
      z.validAccess.delete("access-1");
      z.refreshDelayMs = 200;
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).send(job(i + 1))));
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(z.refreshes()).toHaveLength(2);
      expect(z.delivered()).toHaveLength(52);
    } finally {
      await close();
    }
  });
});
