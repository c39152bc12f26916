import { Keyv } from "keyv";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSENGER_CAPABILITIES } from "../../adapters/messenger/capabilities.js";
import { MessengerChannel } from "../../adapters/messenger/channel.js";
import type { GraphResult } from "../../adapters/messenger/client.js";
import { classifyError, toE164 } from "../../adapters/messenger/outbound.js";
import { appSecretProof } from "../../adapters/messenger/verify.js";
import type { OutboundMessage } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { render } from "../../src/render/render.js";
import { parseEnv } from "../../src/root/env.js";
import { LocalBus } from "../../src/store/bus/local.js";
import type { Db } from "../../src/store/sqlite/db.js";
import { FakePlatform, waitFor } from "../helpers/fake-platform.js";
import { delivery, graphError, isSendTo, type Rig, rig, SEND_PATH, sleep, TOKEN, userMessage } from "./setup.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const job = (userId: string, message: OutboundMessage, extra: Partial<SendJob> = {}): SendJob => ({
  kind: "send",
  channel: "messenger",
  userId,
  conv: `messenger:${userId}`,
  message,
  userLastAt: Date.now() - 60_000,
  ...extra,
});

describe("the 24-hour / 7-day window", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());

  it("inside 24 h: RESPONSE", async () => {
    const out = await r.adapter.send(job("w0", { text: "Chào bạn" }, { userLastAt: Date.now() - 23 * HOUR }));
    expect(out).toEqual({ ok: true });
    expect(r.fake.requests.filter(isSendTo("w0")).map((x) => x.body)).toEqual([
      { recipient: { id: "w0" }, messaging_type: "RESPONSE", message: { text: "Chào bạn", metadata: "hotro" } },
    ]);
  });

  it("a bot reply 25 h after the user's last message is not sent (permanent failure)", async () => {
    const out = await r.adapter.send(job("w1", { text: "Bot nói" }, { userLastAt: Date.now() - 25 * HOUR }));
    expect(out).toMatchObject({
      ok: false,
      permanent: true,
      error: expect.stringContaining("outside the 24-hour window"),
    });
    expect(r.fake.requests.filter(isSendTo("w1"))).toHaveLength(0);
  });

  it("a person's reply at 25 h goes with the HUMAN_AGENT tag", async () => {
    const out = await r.adapter.send(
      job(
        "w2",
        { text: "Mình là Lan, mình đã kiểm tra giúp bạn", from: { kind: "operator", name: "Lan" } },
        { userLastAt: Date.now() - 25 * HOUR, byPerson: true, requestId: "HT-000001" },
      ),
    );
    expect(out).toEqual({ ok: true });
    expect(r.fake.requests.filter(isSendTo("w2")).map((x) => x.body)).toEqual([
      {
        recipient: { id: "w2" },
        messaging_type: "MESSAGE_TAG",
        tag: "HUMAN_AGENT",
        // No persona picture configured: the operator's name heads the text.
        message: { text: "Lan:\nMình là Lan, mình đã kiểm tra giúp bạn", metadata: "hotro" },
      },
    ]);
  });

  it("a person's reply at 25 h is not tried without the Human Agent feature (MESSENGER_HUMAN_AGENT=off)", async () => {
    const off = await rig({ adapter: { humanAgent: false } });
    try {
      const out = await off.adapter.send(
        job("w2b", { text: "Trễ một ngày" }, { userLastAt: Date.now() - 25 * HOUR, byPerson: true }),
      );
      expect(out).toMatchObject({ ok: false, permanent: true, reason: "window_closed" });
      expect(out.ok === false && out.error).toContain("MESSENGER_HUMAN_AGENT=off");
      expect(off.fake.requests.filter(isSendTo("w2b"))).toHaveLength(0);
    } finally {
      await off.close();
    }
  });

  it("the window runs from the user's own time: a message processed late does not stretch it", async () => {
    const written = Date.now() - 3 * HOUR;
    await r.post(delivery([userMessage("w-late", "xin chào", { ts: written })]));
    await waitFor(() => r.sent("w-late").length === 1);
    const session = await r.h.hotro.backend.sessions.get("messenger:w-late");
    expect(session?.lastUserAt).toBe(written);
    const [reply] = r.sent("w-late");
    expect(reply?.body).toMatchObject({ messaging_type: "RESPONSE" });
  });

  it("a person's reply 8 days after is not sent (permanent failure)", async () => {
    const out = await r.adapter.send(
      job("w3", { text: "Trễ quá" }, { userLastAt: Date.now() - 8 * DAY, byPerson: true, requestId: "HT-000002" }),
    );
    expect(out).toMatchObject({
      ok: false,
      permanent: true,
      error: expect.stringContaining("more than 7 days since the user wrote"),
    });
    expect(r.fake.requests.filter(isSendTo("w3"))).toHaveLength(0);
  });
});

describe("errors: retried or not", () => {
  it("classifies Meta's codes", () => {
    const err = (code: number, sub?: number, status = 400, is_transient?: boolean): GraphResult => ({
      ok: false,
      status,
      error: { code, ...(sub ? { error_subcode: sub } : {}), ...(is_transient !== undefined ? { is_transient } : {}) },
    });
    const transient = (res: GraphResult) => {
      const c = classifyError(res).outcome;
      return !c.ok && !c.permanent;
    };
    const permanent = (res: GraphResult) => {
      const c = classifyError(res).outcome;
      return !c.ok && c.permanent;
    };
    for (const code of [1200, 2, 4, 17, 32, 613]) expect(transient(err(code)), `code ${code}`).toBe(true);
    expect(transient(err(9999, undefined, 400, true))).toBe(true);
    expect(transient({ ok: false, status: 502 })).toBe(true);
    expect(transient({ ok: false, status: 500, error: { message: "x" } })).toBe(true);
    expect(transient({ ok: false, network: "UND_ERR_CONNECT_TIMEOUT" })).toBe(true);
    for (const [code, sub] of [
      [10, 2018278],
      [551, 1545041],
      [100, 2018001],
      [190, 463],
      [200, 2018028],
    ] as const) {
      expect(permanent(err(code, sub)), `code ${code}`).toBe(true);
    }
    expect(classifyError(err(190, 463)).tokenInvalid).toBe(true);
    expect(classifyError(err(613)).outcome).toMatchObject({ retryAfterMs: 1000 });
  });

  it("says why a message was refused for good (Meta's error-code table, June 2026)", () => {
    const err = (code: number, sub?: number, message?: string): GraphResult => ({
      ok: false,
      status: 400,
      error: { code, ...(sub ? { error_subcode: sub } : {}), ...(message ? { message } : {}) },
    });
    const reason = (res: GraphResult, tagged = false) => {
      const c = classifyError(res, { tagged }).outcome;
      return c.ok || !c.permanent ? "retry" : c.reason;
    };
    // 10: outside the window (2018278, 2534022, and 2018065 "You need News Messaging permission").
    for (const sub of [2018278, 2534022, 2018065]) expect(reason(err(10, sub)), String(sub)).toBe("window_closed");
    expect(
      reason(
        err(10, undefined, "(#10) This message is sent outside of allowed window. Learn more about the new policy"),
      ),
    ).toBe("window_closed");
    // A person's tagged reply past 7 days is the window too; any other refusal of a tagged reply is the feature missing.
    expect(reason(err(10, 2018278), true)).toBe("window_closed");
    const feature = classifyError(err(10, undefined, "(#10) Application does not have permission for this action"), {
      tagged: true,
    }).outcome;
    expect(feature).toMatchObject({ ok: false, permanent: true, reason: "auth" });
    expect(feature.ok === false && feature.error).toContain("Human Agent feature");
    expect(reason(err(200, undefined, "(#200) Permissions error"), true)).toBe("auth");
    // 10/2018108 "They can't receive your messages right now", 551, 1545041: the person is out of reach.
    for (const [code, sub] of [
      [10, 2018108],
      [551, undefined],
      [551, 1545041],
      [200, 1545041],
      [230, undefined],
    ] as const)
      expect(reason(err(code, sub)), `${code}/${sub}`).toBe("blocked");
    expect(reason(err(190, 463))).toBe("auth");
    expect(reason(err(200, 2018028))).toBe("auth");
    expect(reason(err(100, 2018001))).toBe("other");
    // 2018300: another app (the Page Inbox) has the thread.
    const owned = classifyError(
      err(10, 2018300, "(#10) Message failed to send because another app is controlling this thread now."),
    );
    expect(owned.threadControlled).toBe(true);
    expect(owned.outcome).toMatchObject({ ok: false, permanent: true });
    // 2018321: Messenger's own automated questions hold the chat for a while.
    expect(classifyError(err(10, 2018321)).outcome).toMatchObject({
      ok: false,
      permanent: false,
      retryAfterMs: 30_000,
    });
  });

  let r: Rig;
  const failures = new Map<string, number>();
  beforeAll(async () => {
    r = await rig({
      fake: (f) => {
        let n = 0;
        f.on((req) => {
          if (!isSendTo("retry")(req)) return undefined;
          n++;
          if (n === 1) return { status: 500, body: "<html>Bad gateway</html>" };
          if (n === 2) return graphError(613);
          return undefined;
        });
        for (const [user, reply] of [
          ["p10", graphError(10, 2018278)],
          ["p551", graphError(551, 1545041)],
          ["p100", graphError(100, 2018001)],
          ["p190", graphError(190, 463)],
        ] as const) {
          f.on((req) => {
            if (!isSendTo(user)(req)) return undefined;
            failures.set(user, (failures.get(user) ?? 0) + 1);
            return reply;
          });
        }
      },
    });
  });
  afterAll(() => r.close());

  it("a 500, then a 613, then 200 → delivered once through the real runtime", async () => {
    expect((await r.post(delivery([userMessage("retry", "xin chào")]))).statusCode).toBe(200);
    await waitFor(() => r.sent("retry").length >= 3, 8_000, "three attempts");
    await r.idle();
    await sleep(300);
    const calls = r.sent("retry");
    expect(calls).toHaveLength(3);
    expect(calls[1]?.body).toEqual(calls[0]?.body);
    expect(calls[2]?.body).toEqual(calls[0]?.body);
    // The rate-limit pause (≥ 1 s) was honoured between the second and third attempt.
    expect((calls[2]?.at ?? 0) - (calls[1]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    const db = (r.h.hotro.backend as unknown as { db: Db }).db;
    const rows = db.prepare("SELECT attempts, error FROM outbox WHERE lane = 'messenger:retry'").all();
    expect(rows).toEqual([{ attempts: 3, error: expect.stringContaining("613") }]);
  });

  it("10/2018278, 551 and 100 are permanent: exactly one request each, never retried", async () => {
    await r.post(
      delivery([userMessage("p10", "xin chào"), userMessage("p551", "xin chào"), userMessage("p100", "xin chào")]),
    );
    await waitFor(() => ["p10", "p551", "p100"].every((u) => r.sent(u).length === 1), 5_000);
    await r.idle();
    await sleep(1_200); // longer than the first backoff
    for (const u of ["p10", "p551", "p100"]) expect(r.sent(u), u).toHaveLength(1);
    const db = (r.h.hotro.backend as unknown as { db: Db }).db;
    const errors = db
      .prepare(
        "SELECT lane, error FROM outbox WHERE lane IN ('messenger:p10','messenger:p551','messenger:p100') ORDER BY lane",
      )
      .all() as { lane: string; error: string }[];
    expect(errors.map((e) => e.lane)).toEqual(["messenger:p10", "messenger:p100", "messenger:p551"]);
    expect(errors[0]?.error).toContain("outside the 24-hour messaging window");
    expect(errors[2]?.error).toContain("isn't receiving messages");
  });

  it("190 → permanent, /readyz reports Messenger down with the reason, one error line; the token is never logged", async () => {
    expect((await r.h.hotro.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    await r.post(delivery([userMessage("p190", "xin chào")]));
    await waitFor(() => failures.get("p190") === 1);
    await r.idle();
    const ready = await r.h.hotro.app.inject({ url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe("degraded");
    expect(ready.json().checks.messenger).toEqual({
      ok: false,
      state: "down",
      reason: "the Page access token is invalid or expired: renew MESSENGER_PAGE_ACCESS_TOKEN",
    });
    // A second refusal does not repeat the alarm.
    const again = await r.adapter.send(job("p190", { text: "lần nữa" }));
    expect(again).toMatchObject({ ok: false, permanent: true });
    const errors = r.logs.filter((l) => JSON.parse(l).level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("Page token must be renewed");
    const everything = r.logs.join("") + r.h.logs.join("");
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain("access_token=");
    // Once a call goes through again (a renewed token), Messenger is ready again.
    expect(await r.adapter.send(job("healthy", { text: "ok" }))).toEqual({ ok: true });
    expect((await r.h.hotro.app.inject({ url: "/readyz" })).json().status).toBe("ready");
  });
});

describe("network failures", () => {
  it("unreachable or slow Graph API → transient, and the token stays out of the error", async () => {
    const fake = await new FakePlatform().start(() => ({ delayMs: 1_000, body: {} }));
    const deps = {
      log: pino({ level: "silent" }),
      kv: new Keyv(),
      withLock: <T>(_n: string, _t: number, fn: () => Promise<T>) => fn(),
      bus: new LocalBus(),
    };
    const slow = new MessengerChannel({
      pageAccessToken: TOKEN,
      appSecret: "FAKE_SECRET",
      verifyToken: "v",
      graphUrl: `${fake.url}/v21.0`,
      deps,
      timeoutMs: 200,
    });
    const out = await slow.send(job("n1", { text: "hi" }));
    expect(out).toMatchObject({ ok: false, permanent: false });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    await fake.stop();
    const down = new MessengerChannel({
      pageAccessToken: TOKEN,
      appSecret: "FAKE_SECRET",
      verifyToken: "v",
      graphUrl: fake.url, // stopped: connection refused
      deps,
    });
    const refused = await down.send(job("n1", { text: "hi" }));
    expect(refused).toMatchObject({ ok: false, permanent: false, error: expect.stringContaining("unreachable") });
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
  });
});

describe("Send API bodies", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());
  const bodies = (user: string) => r.fake.requests.filter(isSendTo(user)).map((x) => x.body);
  /** What the runtime does with a message: render it once for Messenger, then one job per part. */
  const sendRendered = async (user: string, message: OutboundMessage): Promise<SendOutcome> => {
    for (const part of render(message, MESSENGER_CAPABILITIES)) {
      const out = await r.adapter.send(job(user, part));
      if (!out.ok) return out;
    }
    return { ok: true };
  };

  it("calls {GRAPH_URL}/me/messages with the token and appsecret_proof in the query", async () => {
    await r.adapter.send(job("q0", { text: "x" }));
    const [call] = r.fake.requests.filter(isSendTo("q0"));
    expect(call?.method).toBe("POST");
    expect(call?.path).toBe(SEND_PATH);
    expect(call?.query.get("access_token")).toBe(TOKEN);
    expect(call?.query.get("appsecret_proof")).toBe(appSecretProof(TOKEN, "FAKE_SECRET"));
    expect(call?.headers["content-type"]).toBe("application/json");
  });

  it("quick replies: at most 13, titles of at most 20 characters shortened with …", async () => {
    const quickReplies = Array.from({ length: 15 }, (_, i) => ({
      label: `Lựa chọn số ${i + 1} của bạn hôm nay`,
      payload: `choice:${i + 1}`,
    }));
    quickReplies[0] = { label: "Gặp nhân viên", payload: "intent:handoff.human" };
    expect(await sendRendered("q1", { text: "Bạn chọn nhé", quickReplies })).toEqual({ ok: true });
    expect(bodies("q1")).toEqual([
      {
        recipient: { id: "q1" },
        messaging_type: "RESPONSE",
        message: {
          text: "Bạn chọn nhé",
          quick_replies: [
            { content_type: "text", title: "Gặp nhân viên", payload: "intent:handoff.human" },
            ...Array.from({ length: 12 }, (_, i) => ({
              content_type: "text",
              title: `Lựa chọn số ${i + 2} của…`,
              payload: `choice:${i + 2}`,
            })),
          ],
          metadata: "hotro",
        },
      },
    ]);
  });

  it("button template: up to 3 buttons (url, postback, phone); more become another template; quick replies ride on the last", async () => {
    const message: OutboundMessage = {
      text: "Bạn có thể liên hệ chúng mình qua:",
      buttons: [
        { type: "url", label: "Trang hỗ trợ", url: "https://hotro.example.vn" },
        { type: "postback", label: "Gửi yêu cầu", payload: "intent:ticket.create" },
        { type: "phone", label: "Gọi tổng đài hỗ trợ", phone: "028 3822 6868" },
        { type: "postback", label: "Kiểm tra trạng thái yêu cầu", payload: "intent:ticket.status" },
        { type: "url", label: "Facebook", url: "https://facebook.com/hotro" },
      ],
      quickReplies: [{ label: "Menu chính", payload: "menu" }],
    };
    expect(await sendRendered("b1", message)).toEqual({ ok: true });
    expect(bodies("b1")).toEqual([
      {
        recipient: { id: "b1" },
        messaging_type: "RESPONSE",
        message: {
          attachment: {
            type: "template",
            payload: {
              template_type: "button",
              text: "Bạn có thể liên hệ chúng mình qua:",
              buttons: [
                { type: "web_url", url: "https://hotro.example.vn", title: "Trang hỗ trợ" },
                { type: "postback", title: "Gửi yêu cầu", payload: "intent:ticket.create" },
                { type: "phone_number", title: "Gọi tổng đài hỗ trợ", payload: "+842838226868" },
              ],
            },
          },
          metadata: "hotro",
        },
      },
      {
        recipient: { id: "b1" },
        messaging_type: "RESPONSE",
        message: {
          attachment: {
            type: "template",
            payload: {
              template_type: "button",
              text: "Kiểm tra trạng… · Facebook",
              buttons: [
                { type: "postback", title: "Kiểm tra trạng…", payload: "intent:ticket.status" },
                { type: "web_url", url: "https://facebook.com/hotro", title: "Facebook" },
              ],
            },
          },
          quick_replies: [{ content_type: "text", title: "Menu chính", payload: "menu" }],
          metadata: "hotro",
        },
      },
    ]);
  });

  it("a template's text stays within 640 characters; a short service number becomes a text line", async () => {
    const long = `${"Thông tin liên hệ. ".repeat(40)}`.trim();
    await sendRendered("b2", {
      text: long,
      buttons: [
        { type: "phone", label: "Hotline", phone: "1900 6868" },
        { type: "url", label: "Web", url: "https://hotro.example.vn" },
      ],
    });
    const sent = bodies("b2") as {
      message: { text?: string; attachment?: { payload: { text: string; buttons: unknown[] } } };
    }[];
    const template = sent[sent.length - 1]?.message.attachment?.payload;
    expect(template?.buttons).toEqual([{ type: "web_url", url: "https://hotro.example.vn", title: "Web" }]);
    expect(template?.text.length).toBeLessThanOrEqual(640);
    expect(template?.text).toContain("Hotline: 1900 6868");
    for (const b of sent.slice(0, -1)) expect(b.message.text?.length).toBeLessThanOrEqual(640);
    expect(toE164("0903 123 456")).toBe("+84903123456");
    expect(toE164("+84 903-123-456")).toBe("+84903123456");
    expect(toE164("1900 6868")).toBeUndefined();
  });

  it("text over 2,000 characters is split on paragraph breaks, each part under 2,000", async () => {
    const paragraphs = Array.from({ length: 7 }, (_, i) => `Đoạn ${i + 1}. ${"nội dung hướng dẫn ".repeat(31).trim()}`);
    expect(paragraphs[0]?.length).toBeGreaterThan(550);
    expect(paragraphs[0]?.length).toBeLessThan(650);
    const text = paragraphs.join("\n\n");
    expect(text.length).toBeGreaterThan(4000);
    expect(await sendRendered("t1", { text, quickReplies: [{ label: "Menu chính", payload: "menu" }] })).toEqual({
      ok: true,
    });
    const msg = (t: string, qr = false) => ({
      recipient: { id: "t1" },
      messaging_type: "RESPONSE",
      message: {
        text: t,
        ...(qr ? { quick_replies: [{ content_type: "text", title: "Menu chính", payload: "menu" }] } : {}),
        metadata: "hotro",
      },
    });
    expect(bodies("t1")).toEqual([
      msg(paragraphs.slice(0, 3).join("\n\n")),
      msg(paragraphs.slice(3, 6).join("\n\n")),
      msg(paragraphs.slice(6).join("\n\n"), true),
    ]);
  });

  it("a message of several Send API calls that fails half-way resumes after the calls already made", async () => {
    let n = 0;
    r.fake.on((req) => (isSendTo("mp")(req) && ++n === 2 ? { status: 503, body: {} } : undefined));
    // Messenger shows no captions: an operator's photo with one is the caption's text, then the image.
    const m: OutboundMessage = { image: { url: "https://hotro.example.vn/anh.png", caption: "Ảnh hướng dẫn" } };
    const j = job("mp", m); // the outbox hands the same stored job to every attempt
    const first = await r.adapter.send(j);
    expect(first).toMatchObject({ ok: false, permanent: false });
    expect(await r.adapter.send(structuredClone(j))).toEqual({ ok: true });
    const sent = bodies("mp").map((b) => (b as { message: { text?: string; attachment?: unknown } }).message);
    expect(sent.map((x) => x.text ?? "image")).toEqual(["Ảnh hướng dẫn", "image", "image"]); // not the caption again
  });

  it("a caption longer than a message is split like text", async () => {
    const caption = Array.from({ length: 3 }, (_, i) => `Đoạn ${i + 1}. ${"chú thích ".repeat(120).trim()}`).join(
      "\n\n",
    );
    expect(await r.adapter.send(job("cap", { image: { url: "https://hotro.example.vn/anh.png", caption } }))).toEqual({
      ok: true,
    });
    const sent = bodies("cap").map((b) => (b as { message: { text?: string } }).message.text ?? "image");
    expect(sent.length).toBeGreaterThan(2);
    expect(sent.at(-1)).toBe("image");
    for (const t of sent) expect(t.length).toBeLessThanOrEqual(MESSENGER_CAPABILITIES.maxTextLength);
    expect(sent.slice(0, -1).join("\n\n")).toBe(caption);
  });

  it("an image goes by URL, reusable", async () => {
    await r.adapter.send(job("i1", { image: { url: "https://hotro.example.vn/huong-dan.png" } }));
    expect(bodies("i1")).toEqual([
      {
        recipient: { id: "i1" },
        messaging_type: "RESPONSE",
        message: {
          attachment: { type: "image", payload: { url: "https://hotro.example.vn/huong-dan.png", is_reusable: true } },
          metadata: "hotro",
        },
      },
    ]);
  });

  const actions = (user: string) =>
    r.fake
      .to(SEND_PATH)
      .filter((q) => (q.body as { recipient?: { id?: string } }).recipient?.id === user)
      .map((q) => q.body);

  it("typing_on is a sender action with only recipient and sender_action", async () => {
    await r.adapter.typing("ty1");
    expect(actions("ty1")).toEqual([{ recipient: { id: "ty1" }, sender_action: "typing_on" }]);
  });

  it("mark_seen goes out when the engine reads a message, without holding the reply", async () => {
    const seen = await rig();
    try {
      await seen.post(delivery([userMessage("ms1", "số hotline là gì")]));
      await waitFor(() => seen.sent("ms1").length === 1);
      await waitFor(() =>
        seen.fake
          .to(SEND_PATH)
          .some(
            (q) => JSON.stringify(q.body) === JSON.stringify({ recipient: { id: "ms1" }, sender_action: "mark_seen" }),
          ),
      );
      // A Graph API that answers mark_seen slowly or with an error changes nothing for the reply.
      seen.fake.on((q) =>
        (q.body as { sender_action?: string }).sender_action === "mark_seen"
          ? { status: 500, delayMs: 3_000, body: {} }
          : undefined,
      );
      const t0 = Date.now();
      await seen.post(delivery([userMessage("ms2", "số hotline là gì")]));
      await waitFor(() => seen.sent("ms2").length === 1);
      expect(Date.now() - t0).toBeLessThan(2_500);
    } finally {
      await seen.close();
    }
    const off = await rig({ adapter: { markSeen: false } });
    try {
      await off.post(delivery([userMessage("ms3", "số hotline là gì")]));
      await waitFor(() => off.sent("ms3").length === 1);
      await off.idle();
      expect(off.fake.to(SEND_PATH).filter((q) => (q.body as { sender_action?: string }).sender_action)).toEqual([]);
    } finally {
      await off.close();
    }
  });

  it("looks a user's name up only when operators need it, caches it, and later messages carry it", async () => {
    r.fake.on((req) => (req.path === "/v21.0/named" ? { body: { name: "Nguyễn Văn An", id: "named" } } : undefined));
    await r.post(delivery([userMessage("named", "xin chào")]));
    await waitFor(() => r.sent("named").length === 1);
    // An ordinary message costs no Graph call for the name.
    expect(r.fake.to("/v21.0/named")).toHaveLength(0);
    expect(await r.adapter.displayName("named")).toBe("Nguyễn Văn An");
    expect(await r.adapter.displayName("named")).toBe("Nguyễn Văn An");
    expect(r.fake.to("/v21.0/named")).toHaveLength(1);
    await r.post(delivery([userMessage("named", "cảm ơn")]));
    await waitFor(() => r.sent("named").length === 2);
    expect((await r.h.hotro.backend.sessions.get("messenger:named"))?.displayName).toBe("Nguyễn Văn An");
    expect(r.fake.to("/v21.0/named")).toHaveLength(1);
  });
});

describe("createMessengerChannel", () => {
  it("is undefined unless the three required variables are set", async () => {
    const { createMessengerChannel } = await import("../../adapters/messenger/index.js");
    const deps = {
      log: pino({ level: "silent" }),
      kv: new Keyv(),
      withLock: <T>(_n: string, _t: number, fn: () => Promise<T>) => fn(),
      bus: new LocalBus(),
    };
    const all = {
      MESSENGER_PAGE_ACCESS_TOKEN: TOKEN,
      MESSENGER_APP_SECRET: "FAKE_SECRET",
      MESSENGER_VERIFY_TOKEN: "v",
    };
    expect(createMessengerChannel(parseEnv(all), deps)?.id).toBe("messenger");
    for (const k of Object.keys(all)) {
      const env = parseEnv({ ...all, [k]: "" });
      expect(createMessengerChannel(env, deps), k).toBeUndefined();
    }
  });
});

describe("start-up check", () => {
  it("a refused token at start shows in /readyz; a missing webhook field is logged", async () => {
    const bad = await rig({
      adapter: { probe: true },
      fake: (f) => f.on((req) => (req.path === "/v21.0/me" ? graphError(190, 460) : undefined)),
    });
    try {
      await waitFor(() => !bad.adapter.health().ok, 3_000, "health to fail");
      const ready = await bad.h.hotro.app.inject({ url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: "degraded", checks: { messenger: { ok: false, state: "down" } } });
      expect(bad.logs.join("")).toContain("Page token must be renewed");
    } finally {
      await bad.close();
    }
    const good = await rig({
      adapter: { probe: true },
      fake: (f) =>
        f.on((req) =>
          req.path === "/v21.0/me"
            ? { body: { id: "1895382890692545", name: "HoTro Demo" } }
            : req.path === "/v21.0/me/subscribed_apps"
              ? {
                  body: {
                    data: [{ id: "7777777777", name: "hotro", subscribed_fields: ["messages", "messaging_postbacks"] }],
                  },
                }
              : undefined,
        ),
    });
    try {
      await waitFor(() => good.logs.join("").includes("lacks fields"), 3_000, "subscription warning");
      expect(good.adapter.health()).toEqual({ ok: true });
      const line = good.logs.find((l) => l.includes("lacks fields")) ?? "";
      expect(JSON.parse(line).missing).toEqual([
        "message_echoes",
        "messaging_referrals",
        "messaging_handovers",
        "standby",
      ]);
    } finally {
      await good.close();
    }
  });
});
