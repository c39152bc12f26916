import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFrame } from "../../adapters/webchat/inbound.js";
import { entryOf } from "../../adapters/webchat/outbound.js";
import type { ServerFrame } from "../../adapters/webchat/types.js";
import { OriginPolicy, originsFromEnv, RateLimiter } from "../../adapters/webchat/verify.js";
import { EnvError } from "../../src/config/env.js";
import { type Chat, Client, sleep, startChat, upgradeStatus } from "./helpers.js";

type Err = Extract<ServerFrame, { type: "error" }>;
type Ack = Extract<ServerFrame, { type: "ack" }>;
const isErr = (f: ServerFrame): f is Err => f.type === "error";
const isAck = (f: ServerFrame): f is Ack => f.type === "ack";
const botTexts = (c: Client) =>
  c.frames.flatMap((f) => (f.type === "message" && f.entry.from !== "user" ? [f.entry.text ?? ""] : []));

describe("webchat over a real socket", () => {
  let s: Chat;
  beforeAll(async () => {
    s = await startChat({ webchat: { extraOrigins: ["https://shop.example.vn"] } });
  });
  afterAll(() => s.close());

  it("serves the page, the widget and its style from source", async () => {
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('src="/webchat/widget.js"');
    expect(await (await fetch(`${s.url}/?lang=en`)).text()).toContain("<title>Live support · HoTro Demo</title>");
    const js = await fetch(`${s.url}/webchat/widget.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect((await js.text()).length).toBeLessThan(40_000);
    const etag = js.headers.get("etag") ?? "";
    expect((await fetch(`${s.url}/webchat/widget.js`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(`${s.url}/webchat/widget.css`)).headers.get("content-type")).toContain("text/css");
  });

  it("refuses a WebSocket from a foreign origin; same origin, listed origins and non-browsers pass", async () => {
    expect(await upgradeStatus(s.url, "https://evil.example")).toBe(403);
    expect(await upgradeStatus(s.url, "null")).toBe(403);
    expect(await upgradeStatus(s.url, s.url)).toBe(101);
    expect(await upgradeStatus(s.url, "https://shop.example.vn")).toBe(101);
    expect(await upgradeStatus(s.url, "https://hotro.example.vn")).toBe(101); // config/webchat.yaml
    expect(await upgradeStatus(s.url)).toBe(101);
    await expect(Client.open(s.url, "https://evil.example")).rejects.toThrow(/403/);
    expect(s.h.logs.join("")).toContain("WebSocket from a foreign origin refused");
  });

  it("grants CORS on /webchat/config to listed origins only", async () => {
    const evil = await s.h.hotro.app.inject({ url: "/webchat/config", headers: { origin: "https://evil.example" } });
    expect(evil.statusCode).toBe(403);
    expect(evil.headers["access-control-allow-origin"]).toBeUndefined();
    const pre = await s.h.hotro.app.inject({
      method: "OPTIONS",
      url: "/webchat/config",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expect(pre.statusCode).toBe(403);
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();

    const shop = await s.h.hotro.app.inject({
      url: "/webchat/config?lang=en",
      headers: { origin: "https://shop.example.vn" },
    });
    expect(shop.statusCode).toBe(200);
    expect(shop.headers["access-control-allow-origin"]).toBe("https://shop.example.vn");
    expect(shop.headers.vary).toContain("Origin");
    expect(shop.json()).toMatchObject({ lang: "en", maxChars: 2000, texts: { send: "Send" } });
    const own = await s.h.hotro.app.inject({
      url: "/webchat/config",
      headers: { origin: s.url, host: s.url.slice(7) },
    });
    expect(own.statusCode).toBe(200);
  });

  it("a new visitor gets an id and the bot's greeting; a message is acked with what was recorded", async () => {
    const { c, visitor, history } = await Client.hello(s.url);
    expect(visitor).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(history).toEqual([]);
    await c.next((f) => f.type === "message" && f.entry.from === "bot" && !!f.entry.quickReplies?.length);
    c.send({ type: "message", id: "m1", text: "tk bi khoa" });
    const ack = await c.next(isAck);
    expect(ack).toMatchObject({ id: "m1", entry: { from: "user", text: "tk bi khoa", id: "u:m1" } });
    await c.next((f) => f.type === "message" && /tài khoản bị khóa/.test(f.entry.text ?? ""));
    c.close();
  });

  it("echoes the masked text, never the secret the visitor typed", async () => {
    const { c } = await Client.hello(s.url);
    c.send({ type: "message", id: "otp1", text: "mã OTP của mình là 583920" });
    const ack = await c.next(isAck);
    expect(ack.entry.text).not.toContain("583920");
    c.close();
  });

  it("a message resent after a reconnect (same id) is recorded and answered once", async () => {
    const first = await Client.hello(s.url);
    await first.c.next((f) => f.type === "message" && f.entry.from === "bot");
    first.c.send({ type: "message", id: "dup1", text: "giờ làm việc" });
    await first.c.next(isAck);
    await sleep(300);
    first.c.close();

    const again = await Client.hello(s.url, first);
    expect(again.visitor).toBe(first.visitor);
    again.c.send({ type: "message", id: "dup1", text: "giờ làm việc" });
    const ack = await again.c.next(isAck);
    expect(ack.entry.id).toBe("u:dup1");
    await sleep(300);
    const history = await s.chat.history.list(first.visitor);
    expect(history.filter((e) => e.id === "u:dup1")).toHaveLength(1);
    expect(s.h.logs.join("")).toContain("duplicate delivery dropped");
    again.c.close();
  });

  it("refuses a message over the size limit with a clear error, and the server goes on", async () => {
    const { c } = await Client.hello(s.url);
    c.send({ type: "message", id: "long1", text: "a".repeat(2001) });
    const err = await c.next(isErr);
    expect(err).toMatchObject({ code: "too_long", id: "long1" });
    expect(err.message).toContain("tối đa 2000 ký tự");
    expect(err.message).toContain("2001");
    // Characters, not bytes: 2000 Vietnamese letters are fine.
    c.send({ type: "message", id: "ok1", text: "ệ".repeat(2000) });
    expect((await c.next(isAck)).id).toBe("ok1");
    c.close();
  });

  it("closes the socket on a frame over max_frame_bytes (1009), and the server stays up", async () => {
    const { c } = await Client.hello(s.url);
    c.send({ type: "message", id: "huge", text: "x".repeat(70_000) });
    for (let i = 0; i < 50 && c.closed === undefined; i++) await sleep(20);
    expect(c.closed).toBe(1009);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it("answers malformed frames with an error and never crashes", async () => {
    const { c } = await Client.hello(s.url);
    const bad: unknown[] = [
      "not json {",
      "[]",
      "null",
      { type: "launch_missiles" },
      { type: "message" },
      { type: "message", id: "x y", text: "hi" },
      { type: "message", id: "e1", text: "   " },
      { type: "postback", id: "p1", payload: 42 },
      { type: "hello", lang: "fr" },
      { type: "hello" },
    ];
    for (const b of bad) c.send(b);
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    for (let i = 0; i < 100 && c.frames.filter(isErr).length < bad.length + 1; i++) await sleep(20);
    const errors = c.frames.filter(isErr);
    expect(errors).toHaveLength(bad.length + 1);
    expect(errors.every((e) => e.code === "malformed" && e.message.length > 0)).toBe(true);
    expect(errors.map((e) => e.detail)).toContain("the frame is not JSON");
    expect(errors.map((e) => e.detail)).toContain("hello was already sent on this connection");
    expect(errors.find((e) => e.id === "e1")?.detail).toBe("the message is empty");
    // Still works afterwards.
    c.send({ type: "message", id: "after", text: "xin chào" });
    expect((await c.next(isAck)).id).toBe("after");
    c.close();
  });

  it("a message of invisible characters only is empty: refused, not recorded, not answered", async () => {
    const { c, visitor } = await Client.hello(s.url);
    await c.next((f) => f.type === "message" && f.entry.from === "bot");
    const invisible = ["\u200b\u200b\u200b", "\ufeff", "\u00ad\u00ad", " \u200c\u200d\u2060 \n\t", "\u3164", "\u2800"];
    for (const [i, text] of invisible.entries()) c.send({ type: "message", id: `inv${i}`, text });
    for (let i = 0; i < 100 && c.frames.filter(isErr).length < invisible.length; i++) await sleep(20);
    const errors = c.frames.filter(isErr);
    expect(errors.map((e) => e.id)).toEqual(invisible.map((_, i) => `inv${i}`));
    expect(errors.every((e) => e.code === "malformed" && e.detail === "the message is empty")).toBe(true);
    expect(c.frames.filter(isAck)).toEqual([]);
    await sleep(200);
    expect((await s.chat.history.list(visitor)).filter((e) => e.from === "user")).toEqual([]);
    // Visible text with a zero-width character in it is a message like any other.
    c.send({ type: "message", id: "vis", text: "giờ\u200b làm việc" });
    expect((await c.next(isAck)).id).toBe("vis");
    c.close();
  });

  it("asks for hello first", async () => {
    const c = await Client.open(s.url);
    c.send({ type: "message", id: "m1", text: "hi" });
    expect(await c.next(isErr)).toMatchObject({ code: "hello_first", id: "m1" });
    c.close();
  });

  it("closes a connection that keeps sending garbage (1008)", async () => {
    const c = await Client.open(s.url);
    for (let i = 0; i < 25; i++) c.send("garbage");
    for (let i = 0; i < 100 && c.closed === undefined; i++) await sleep(20);
    expect(c.closed).toBe(1008);
  });

  it("limits messages per visitor, with the time to wait", async () => {
    const { c } = await Client.hello(s.url);
    for (let i = 0; i < 10; i++) c.send({ type: "message", id: `r${i}`, text: `câu ${i}` });
    const err = await c.next((f): f is Err => isErr(f) && f.code === "rate_limited");
    expect(err.id).toBe("r8");
    expect(err.message).toMatch(/đợi \d+ giây/);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    for (let i = 0; i < 100 && c.frames.filter((f) => isAck(f) || isErr(f)).length < 10; i++) await sleep(20);
    expect(c.frames.filter(isAck)).toHaveLength(8);
    c.close();
  });

  it("taps on quick replies and buttons become postbacks with their payload", async () => {
    const { c, visitor } = await Client.hello(s.url);
    // A label that would be matched to another intent: the answer shows the payload was followed.
    c.send({ type: "postback", id: "qr1", payload: "intent:contact.email", text: "Kênh liên hệ" });
    const ack = await c.next(isAck);
    expect(ack.entry).toMatchObject({ from: "user", text: "Kênh liên hệ" });
    await c.next((f) => f.type === "message" && (f.entry.text ?? "").includes("support@hotro.example.vn"));
    const session = await s.h.hotro.backend.sessions.get(`webchat:${visitor}`);
    expect(session?.lastIntent).toBe("contact.email");
    c.close();
  });

  it("keeps what is sent while the visitor is away, bounded, and shows it on return", async () => {
    const me = await Client.hello(s.url);
    const { c, visitor } = me;
    c.close();
    for (let i = 0; i < 105; i++) {
      const out = await s.chat.send({
        kind: "send",
        channel: "webchat",
        userId: visitor,
        conv: `webchat:${visitor}`,
        message: { text: `tin ${i}` },
      });
      expect(out).toEqual({ ok: true });
    }
    const back = await Client.hello(s.url, me);
    const history = back.history;
    expect(history).toHaveLength(100);
    expect(history.at(-1)?.text).toBe("tin 104");
    expect(history.map((e) => e.seq)).toEqual([...history.map((e) => e.seq)].sort((a, b) => a - b));
    back.c.close();
  });

  it("delivers live to every open tab of the visitor, with the operator's name", async () => {
    const a = await Client.hello(s.url);
    const b = await Client.hello(s.url, a);
    expect(b.visitor).toBe(a.visitor);
    await s.chat.send({
      kind: "send",
      channel: "webchat",
      userId: a.visitor,
      conv: `webchat:${a.visitor}`,
      message: { text: "Chào bạn", from: { kind: "operator", name: "Lan" } },
      byPerson: true,
    });
    for (const c of [a.c, b.c]) {
      const f = await c.next((x) => x.type === "message" && x.entry.text === "Chào bạn");
      expect(f).toMatchObject({ entry: { from: "operator", name: "Lan" } });
    }
    // A message typed in one tab shows in the other.
    a.c.send({ type: "message", id: "tab1", text: "cảm ơn" });
    await b.c.next((x) => x.type === "message" && x.entry.id === "u:tab1");
    expect(botTexts(b.c)).toContain("Chào bạn");
    a.c.close();
    b.c.close();
  });

  it("/readyz counts the live chat in", async () => {
    const r = await s.h.hotro.app.inject({ url: "/readyz" });
    expect(r.statusCode).toBe(200);
    expect(r.json().checks.webchat).toEqual({ ok: true, state: "up" });
  });
});

describe("webchat pieces", () => {
  it("origin policy: same host, listed, absent; everything else refused", () => {
    const p = new OriginPolicy(["https://Shop.Example.vn:443", "http://localhost:8080"]);
    expect(p.check("https://shop.example.vn", "chat.example.vn")).toBe("listed");
    expect(p.check("http://localhost:8080", "chat.example.vn")).toBe("listed");
    expect(p.check("http://localhost:8081", "chat.example.vn")).toBe("refused");
    expect(p.check("https://chat.example.vn", "chat.example.vn")).toBe("same");
    expect(p.check("https://chat.example.vn.evil.io", "chat.example.vn")).toBe("refused");
    expect(p.check(undefined, "chat.example.vn")).toBe("absent");
    expect(p.check("null", "chat.example.vn")).toBe("refused");
  });

  it("WEBCHAT_ALLOWED_ORIGINS: comma-separated origins; a malformed one names the variable", () => {
    expect(originsFromEnv(" https://a.vn, http://b.vn:8080 ,")).toEqual(["https://a.vn", "http://b.vn:8080"]);
    expect(() => originsFromEnv("https://a.vn/path")).toThrow(EnvError);
    expect(() => originsFromEnv("a.vn")).toThrow(/WEBCHAT_ALLOWED_ORIGINS/);
  });

  it("rate limiter: a sliding window per key", () => {
    const r = new RateLimiter(2, 1000);
    expect(r.take("v", 0).ok).toBe(true);
    expect(r.take("v", 100).ok).toBe(true);
    expect(r.take("v", 200)).toEqual({ ok: false, retryAfterMs: 800 });
    expect(r.take("w", 200).ok).toBe(true);
    expect(r.take("v", 1001).ok).toBe(true);
    r.sweep(5000);
    expect(r.take("v", 5000).ok).toBe(true);
  });

  it("frames: length in characters after NFC, trimmed", () => {
    const nfd = "ệ".normalize("NFD").repeat(10);
    const ok = parseFrame(Buffer.from(JSON.stringify({ type: "message", id: "a", text: ` ${nfd} ` })), false, 10);
    expect(ok).toEqual({ ok: true, frame: { type: "message", id: "a", text: "ệ".repeat(10) } });
    const long = parseFrame(
      Buffer.from(JSON.stringify({ type: "message", id: "a", text: "😀".repeat(11) })),
      false,
      10,
    );
    expect(long).toMatchObject({ ok: false, code: "too_long", count: 11 });
    for (const text of ["\u200b", "\ufeff\u00ad", "\u2060 \u200d", "\u180e\u200e\u200f"]) {
      const blank = parseFrame(Buffer.from(JSON.stringify({ type: "message", id: "b", text })), false, 10);
      expect(blank, JSON.stringify(text)).toMatchObject({
        ok: false,
        code: "malformed",
        reason: "the message is empty",
      });
    }
    expect(parseFrame(Buffer.from(JSON.stringify({ type: "message", id: "e", text: "👍\u200d" })), false, 10).ok).toBe(
      true,
    );
  });

  it("outbound: operators keep their name; an image a browser cannot load keeps its caption", () => {
    const e = entryOf({ image: { url: "tg-file:AbC", caption: "ảnh" }, from: { kind: "operator", name: "Lan" } }, 1);
    expect(e).toMatchObject({ from: "operator", name: "Lan", image: { url: "", caption: "ảnh" } });
    expect(entryOf({ text: "hi", buttons: [{ type: "phone", label: "Gọi", phone: "1900 6868" }] }, 1)).toMatchObject({
      from: "bot",
      buttons: [{ type: "phone", phone: "1900 6868" }],
    });
  });
});
