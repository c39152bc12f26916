import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ZaloChannel } from "../../adapters/zalo/channel.js";
import type { SendJob } from "../../src/ports/queue.js";
import { harness } from "../helpers/harness.js";
import { channel, embeddedDeps, FakeZalo, memoryLog, signed, USER, userText } from "./fake-zalo.js";

const job = (text: string, extra: Partial<SendJob> = {}): SendJob => ({
  kind: "send",
  channel: "zalo",
  userId: USER,
  conv: `zalo:${USER}`,
  message: { text },
  ...extra,
});

const isSend = (r: { path: string }) => r.path === "/v3.0/oa/message/cs";

describe("send: Zalo's error codes", () => {
  let z: FakeZalo;
  let zalo: ZaloChannel;
  let deps: ReturnType<typeof embeddedDeps>;
  let lines: string[];

  beforeEach(async () => {
    z = await new FakeZalo().start();
    const m = memoryLog();
    lines = m.lines;
    deps = embeddedDeps(m.log);
    zalo = channel(z, deps);
    await zalo.start();
    // Warm up: one refresh, so tests start from a valid access token.
    expect(await zalo.send(job("warm up"))).toEqual({ ok: true });
    z.api.requests.length = 0;
    z.oauth.requests.length = 0;
  });
  afterEach(async () => {
    await zalo.stop();
    await deps.close();
    await z.stop();
  });

  it("-216: one refresh, one retry, delivered", async () => {
    z.api.times(1, isSend, { body: { error: -216, message: "Access token is invalid" } });
    expect(await zalo.send(job("hello"))).toEqual({ ok: true });
    expect(z.refreshes()).toHaveLength(1);
    const sends = z.sends();
    expect(sends).toHaveLength(2);
    expect(sends[1]?.headers.access_token).not.toBe(sends[0]?.headers.access_token);
    expect(sends[1]?.headers.access_token).toBe("access-2");
  });

  it("-220 is handled like -216", async () => {
    z.api.times(1, isSend, { body: { error: -220, message: "Access token has expired" } });
    expect(await zalo.send(job("hello"))).toEqual({ ok: true });
    expect(z.refreshes()).toHaveLength(1);
  });

  it("a token rejected again after the refresh is not retried in a loop", async () => {
    z.api.times(5, isSend, { body: { error: -216, message: "Access token is invalid" } });
    const out = await zalo.send(job("hello"));
    expect(out).toMatchObject({ ok: false, permanent: true });
    expect(z.sends()).toHaveLength(2);
    expect(z.refreshes()).toHaveLength(1);
  });

  it("-32 (rate limit) → transient, retried later with a back-off", async () => {
    z.api.times(1, isSend, { body: { error: -32, message: "Rate limit" } });
    const out = await zalo.send(job("hello"));
    expect(out).toMatchObject({ ok: false, permanent: false });
    if (!out.ok && !out.permanent) expect(out.retryAfterMs).toBeGreaterThan(0);
    expect(out.ok === false && out.error).toContain("-32");
    expect(z.refreshes()).toHaveLength(0);
  });

  for (const [code, words] of [
    [-230, "7 days"],
    [-232, "window"],
    [-213, "follow"],
    [-227, "inactive"],
    [-244, "restricted"],
  ] as const) {
    it(`${code} → permanent with a clear reason, one request only`, async () => {
      z.api.times(1, isSend, { body: { error: code, message: "Zalo says no" } });
      const out = await zalo.send(job("hello", { byPerson: true, requestId: "HT-000001" }));
      expect(out).toMatchObject({ ok: false, permanent: true });
      expect(out.ok === false && out.error).toContain(words);
      expect(out.ok === false && out.error).toContain(String(code));
      expect(z.sends()).toHaveLength(1);
      expect(z.refreshes()).toHaveLength(0);
    });
  }

  it("HTTP 5xx and network failures → transient", async () => {
    z.api.times(1, isSend, { status: 502, body: "<html>bad gateway</html>" });
    expect(await zalo.send(job("a"))).toMatchObject({ ok: false, permanent: false });
    z.api.times(1, isSend, { status: 429, headers: { "retry-after": "7" }, body: "" });
    expect(await zalo.send(job("b"))).toMatchObject({ ok: false, permanent: false, retryAfterMs: 7000 });
    const down = channel(z, deps, { apiUrl: "http://127.0.0.1:1" });
    expect(await down.send(job("c"))).toMatchObject({ ok: false, permanent: false });
    await down.stop();
  });

  it("never writes a token to the logs", async () => {
    z.api.times(1, isSend, { body: { error: -216, message: "Access token is invalid" } });
    await zalo.send(job("hello"));
    const all = lines.join("\n");
    expect(all).toContain("access token refreshed");
    for (const t of ["access-1", "access-2", "refresh-1", "refresh-2", "refresh-from-env-0", "app-secret-XYZ"])
      expect(all).not.toContain(t);
  });
});

describe("send through the outbox", () => {
  it("-32 is retried later by the outbox and then delivered", async () => {
    const z = await new FakeZalo().start();
    const { log } = memoryLog();
    const deps = embeddedDeps(log);
    const zalo = channel(z, deps, { rateLimitRetryMs: 50 });
    const h = await harness({ channels: [zalo] });
    try {
      z.api.times(2, isSend, { body: { error: -32, message: "Rate limit" } });
      const q = signed(userText("số hotline là gì"));
      const res = await h.hotro.app.inject({
        method: "POST",
        url: "/webhooks/zalo",
        payload: q.payload,
        headers: q.headers,
      });
      expect(res.statusCode).toBe(200);
      const deadline = Date.now() + 10_000;
      while (z.delivered(USER).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const tries = z.sends(USER);
      expect(tries.length).toBe(3);
      expect(z.delivered(USER)).toHaveLength(1);
      expect(z.refreshes()).toHaveLength(1); // the first token only: the rate limit is not a token problem
      expect(tries[2]?.at).toBeGreaterThan((tries[0]?.at ?? 0) + 40);
    } finally {
      await h.close();
      await deps.close();
      await z.stop();
    }
  });
});
