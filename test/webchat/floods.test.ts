import { Keyv } from "keyv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { Pacer } from "../../adapters/telegram/pacing.js";
import { Floods } from "../../adapters/webchat/floods.js";
import type { ServerFrame } from "../../adapters/webchat/types.js";
import { netOf } from "../../adapters/webchat/visitors.js";
import { WebchatFloods } from "../../src/content/schema.js";
import { getNotice } from "../../src/runtime/notices.js";
import { shippedContent } from "../helpers/content.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Call, OPS_CHAT, operatorUpdate, recorder, SECRET, telegramFor, textUpdate } from "../telegram/helpers.js";
import { type Chat, Client, sleep, startChat } from "./helpers.js";

type Err = Extract<ServerFrame, { type: "error" }>;

describe("flood limits, piece by piece", () => {
  const deps = () => ({ kv: new Keyv(), withLock: <T>(_n: string, _t: number, fn: () => Promise<T>) => fn() });

  it("new visitors: a sliding window per network, with the time to wait", async () => {
    const f = new Floods(deps(), WebchatFloods.parse({ new_visitors_per_ip: 2, new_visitors_minutes: 1 }));
    expect(await f.newVisitor("n1", 0)).toEqual({ ok: true });
    expect(await f.newVisitor("n1", 1000)).toEqual({ ok: true });
    expect(await f.newVisitor("n1", 2000)).toEqual({ ok: false, retryAfterMs: 58_000, known: false });
    expect(await f.newVisitor("n1", 30_000)).toEqual({ ok: false, retryAfterMs: 30_000, known: true }); // remembered locally
    expect(await f.newVisitor("n2", 2000)).toEqual({ ok: true });
    expect(await f.newVisitor("n1", 60_001)).toEqual({ ok: true });
  });

  it("escalations: per network and for everyone; beyond, one notice for the burst; decided once per request", async () => {
    const d = deps();
    const f = new Floods(d, WebchatFloods.parse({ escalations_per_ip: 1, escalations_per_minute: 2 }));
    expect(await f.admitEscalation("a", "HT-000001", 0)).toEqual({ post: true });
    const over = await f.admitEscalation("a", "HT-000002", 10);
    expect(over.post).toBe(false);
    expect(await f.admitEscalation("a", "HT-000002", 20)).toEqual(over); // a replay after a crash
    expect(await f.admitEscalation("b", "HT-000003", 30)).toEqual({ post: true });
    expect(await f.admitEscalation("c", "HT-000004", 40)).toEqual(over); // everyone's limit: same notice
    const notice = over.post ? undefined : await getNotice(d.kv, over.notice);
    expect(notice).toMatchObject({ channel: "webchat", requestIds: ["HT-000002", "HT-000004"] });
    expect(await f.admitEscalation("c", "HT-000005", 60_041)).toEqual({ post: true }); // a minute later
  });

  it("networks: IPv4 as is (also IPv4-mapped), IPv6 by /64, never the raw address", () => {
    expect(netOf("203.0.113.7")).toBe(netOf("::ffff:203.0.113.7"));
    expect(netOf("203.0.113.7")).not.toBe(netOf("203.0.113.8"));
    expect(netOf("2001:db8:1:2::a")).toBe(netOf("2001:0db8:0001:0002:0:0:0:b"));
    expect(netOf("2001:db8:1:2::a")).not.toBe(netOf("2001:db8:1:3::a"));
    expect(netOf("203.0.113.7")).not.toContain("203.0.113");
    expect(netOf(undefined)).toBe(netOf(""));
  });

  it("group pacing: giving way takes slots only beyond the reserve, never on credit", async () => {
    const p = new Pacer(5, 1000);
    expect(p.tryTake("g", 2, 2)).toBe(0); // 5 → 3
    expect(p.tryTake("g", 2, 2)).toBeGreaterThan(900); // 3 < 2 + 2: wait for one more
    expect(p.tryTake("g", 1, 2)).toBe(0); // 3 → 2
    expect(p.delay("g")).toBe(0); // the reserve is there for the others
    await p.take("g");
    await p.take("g");
    expect(p.tryTake("g", 1, 2)).toBeGreaterThan(2900);
  });
});

/** The live chat and the operators' group (real Telegram operators on a recorded Bot API), with these limits. */
async function floodServer(floods: WebchatFloods) {
  const calls: Call[] = [];
  const tg: { channel?: TelegramChannel } = {};
  const s = await startChat({
    webchat: { floods },
    channels: telegramFor({ transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) }, tg),
    harness: {
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), tg.channel as TelegramChannel, d, {
          // The group's real shape (a burst of 5, then one message per interval), the interval shortened.
          pacing: { burst: 5, intervalMs: 600 },
          noticeSettleMs: 500,
        }),
    },
  });
  const post = (body: unknown) =>
    s.h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(body),
    });
  /** What the bot did in the operators' group, in order. */
  const group = () =>
    calls.filter(
      (c) =>
        Number(c.payload.chat_id) === OPS_CHAT &&
        ["sendMessage", "createForumTopic", "editMessageText"].includes(c.method),
    );
  /** New visitors at once from 127.0.0.1: each gets a welcome or an error. */
  const visitors = (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const c = await Client.open(s.url);
        c.send({ type: "hello", lang: "vi" });
        return { c, f: await c.next((f) => f.type === "welcome" || f.type === "error") };
      }),
    );
  /** A Telegram user asks for a person: resolves with the group's calls from then to their card. */
  const telegramEscalation = async (chatId: number, name: string) => {
    const mark = group().length;
    await post(textUpdate(chatId, "cho mình gặp nhân viên", undefined, name));
    const topic = await waitFor(
      () => calls.find((c) => c.method === "createForumTopic" && String(c.payload.name).includes(`Telegram · ${name}`)),
      15_000,
      "the Telegram user's topic",
    );
    const card = await waitFor(
      () =>
        group().find(
          (c) => c.method === "sendMessage" && String(c.payload.text).includes(`Kênh: Telegram · Người dùng: ${name}`),
        ),
      15_000,
      "the Telegram user's card",
    );
    const after = group().slice(mark);
    return { topic, card, between: after.slice(0, after.indexOf(card)) };
  };
  return { s, calls, post, group, visitors, telegramEscalation };
}

const isWeb = (c: Call) =>
  (c.method === "createForumTopic" && String(c.payload.name).includes("· Web ·")) ||
  /Kênh: Web|Web trong thời gian ngắn/.test(String(c.payload.text ?? ""));

/**
 * The incident: 30 new visitors from one IP writing "gặp nhân viên" in a few seconds made 30
 * requests, topics and cards, and held up a genuine escalation from another channel for
 * minutes (the operators' group is one Telegram chat with its own rate limit). Here with the
 * shipped limits (config/limits.yaml).
 */
describe("a flood of new live-chat visitors from one IP asking for a person", () => {
  const limits = shippedContent().config.limits.webchat;
  let f: Awaited<ReturnType<typeof floodServer>>;
  beforeAll(async () => {
    f = await floodServer(limits);
  });
  afterAll(() => f.s.close());

  it("admits the configured number, posts the configured number, merges the rest into one notice", async () => {
    const { s, calls, group } = f;
    expect(limits).toMatchObject({ new_visitors_per_ip: 10, escalations_per_ip: 3 });
    // 1. Thirty new visitors at once from 127.0.0.1.
    const tries = await f.visitors(30);
    const welcomed = tries.filter((t) => t.f.type === "welcome");
    const refused = tries.filter((t) => t.f.type === "error").map((t) => ({ c: t.c, f: t.f as Err }));
    expect(welcomed).toHaveLength(limits.new_visitors_per_ip);
    expect(refused).toHaveLength(30 - limits.new_visitors_per_ip);
    for (const { c, f } of refused) {
      expect(f.code).toBe("too_many_visitors");
      expect(f.message).toBe("Có quá nhiều cuộc trò chuyện mới từ mạng của bạn. Vui lòng thử lại sau 10 phút.");
      expect(f.retryAfterMs).toBeGreaterThan(9 * 60_000);
      for (let i = 0; i < 50 && c.closed === undefined; i++) await sleep(20);
      expect(c.closed).toBe(1013);
    }

    // 2. Each admitted visitor asks for a person: every request is created (nothing lost).
    for (const [i, { c }] of welcomed.entries()) c.send({ type: "message", id: `p${i}`, text: "gặp nhân viên" });
    const web = async () => s.h.hotro.backend.requests.list({ channel: "webchat" });
    await waitFor(async () => (await web()).length === welcomed.length, 10_000, "10 requests");

    // 3. Right after, a Telegram user asks for a person: nothing of the burst is queued in front
    // (at most what one live-chat job had already taken its slots for: a topic and a card).
    const tg = await f.telegramEscalation(9100, "Hà");
    expect(tg.between.filter(isWeb).length).toBeLessThanOrEqual(2);
    expect(tg.between.filter((c) => !isWeb(c))).toEqual([tg.topic]);

    // 4. The burst, in the end: three topics, one notice listing the other seven requests.
    const webTopics = () => calls.filter((c) => c.method === "createForumTopic" && isWeb(c));
    await waitFor(() => webTopics().length === limits.escalations_per_ip, 20_000, "three live-chat topics");
    const requests = await web();
    const held = requests.filter((r) => r.notice);
    expect(held).toHaveLength(welcomed.length - limits.escalations_per_ip);
    const notices = () => group().filter((c) => String(c.payload.text ?? "").includes("/open"));
    const noticeText = () => String(notices().at(-1)?.payload.text);
    await waitFor(() => held.every((r) => noticeText().includes(r.id)), 20_000, "the notice lists every held request");
    await sleep(1500);
    expect(webTopics()).toHaveLength(limits.escalations_per_ip);
    expect(notices().filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(noticeText()).toContain(`${held.length} yêu cầu chưa có chủ đề riêng`);
    for (const r of requests.filter((x) => !x.notice)) expect(noticeText()).not.toContain(r.id);
    for (const r of held) expect((await s.h.hotro.backend.requests.get(r.id))?.ops?.rootMessageId).toBeUndefined();

    // 5. A held visitor writes again: kept with the request, not posted on its own.
    const one = held[0];
    const writer = welcomed.find((w) => w.f.type === "welcome" && w.f.visitor === one?.userId);
    writer?.c.send({ type: "message", id: "again", text: "mình vẫn đang chờ 77" });
    await waitFor(async () =>
      JSON.stringify(await s.h.hotro.backend.requests.transcript(one?.id ?? "")).includes("đang chờ 77"),
    );
    await sleep(300);
    expect(JSON.stringify(group())).not.toContain("đang chờ 77");

    // 6. An operator opens one of them: its topic and card, with what it said.
    const pick = one?.id ?? "";
    await f.post(operatorUpdate(`/open ${pick}`, {}));
    await waitFor(
      () => calls.some((c) => c.method === "createForumTopic" && String(c.payload.name).startsWith(pick)),
      10_000,
      "the opened request's topic",
    );
    const card = await waitFor(() =>
      group().find((c) => c.method === "sendMessage" && String(c.payload.text).startsWith(`🔵 ${pick}`)),
    );
    expect(String(card.payload.text)).toContain("đang chờ 77");
    for (const { c } of tries) c.close();
  }, 60_000);
});

/**
 * Even a burst within the limits (from many networks, say) cannot queue in front of another
 * channel's escalation: the live chat's ops jobs give way in the operators' group.
 */
describe("live-chat posts give way to other channels in the operators' group", () => {
  let f: Awaited<ReturnType<typeof floodServer>>;
  beforeAll(async () => {
    f = await floodServer(WebchatFloods.parse({ escalations_per_ip: 8, escalations_per_minute: 8 }));
  });
  afterAll(() => f.s.close());

  it("a Telegram user's escalation is posted ahead of a live-chat burst already queued", async () => {
    const { s, calls } = f;
    const welcomed = await f.visitors(8);
    for (const [i, { c }] of welcomed.entries()) c.send({ type: "message", id: `q${i}`, text: "gặp nhân viên" });
    await waitFor(async () => (await s.h.hotro.backend.requests.list({ channel: "webchat" })).length === 8, 10_000);
    const tg = await f.telegramEscalation(9200, "Lan");
    const webTopics = () => calls.filter((c) => c.method === "createForumTopic" && isWeb(c));
    const ahead = webTopics().filter((c) => calls.indexOf(c) < calls.indexOf(tg.topic)).length;
    // Eight topics and cards need three times the group's burst: most were still queued, and
    // the Telegram user's went first; between their message and their card, at most one
    // live-chat post that already had its slots.
    expect(tg.between.filter(isWeb).length).toBeLessThanOrEqual(2);
    await waitFor(() => webTopics().length === 8, 30_000, "all eight live-chat topics");
    expect(8 - ahead).toBeGreaterThanOrEqual(4);
    for (const { c } of welcomed) c.close();
  }, 60_000);
});

/** Behind a proxy (TRUST_PROXY), each visitor's own address counts, and all of them together have a limit too. */
describe("flood limits across networks", () => {
  let s: Chat;
  beforeAll(async () => {
    s = await startChat({
      harness: { env: { TRUST_PROXY: "true" } },
      webchat: {
        floods: WebchatFloods.parse({ new_visitors_per_ip: 2, escalations_per_ip: 1, escalations_per_minute: 3 }),
      },
    });
  });
  afterAll(() => s.close());

  const from = (ip: string) => ({ "x-forwarded-for": ip });
  const hello = async (ip: string) => {
    const c = await Client.open(s.url, undefined, from(ip));
    c.send({ type: "hello", lang: "en" });
    const f = await c.next((x) => x.type === "welcome" || x.type === "error");
    return { c, f };
  };

  it("counts new visitors per IP (IPv6: per /64)", async () => {
    const a = [await hello("203.0.113.7"), await hello("203.0.113.7"), await hello("203.0.113.7")];
    expect(a.map((x) => x.f.type)).toEqual(["welcome", "welcome", "error"]);
    expect(a[2]?.f).toMatchObject({ code: "too_many_visitors" });
    expect((a[2]?.f as Err | undefined)?.message).toBe(
      "Too many new conversations from your network. Please try again in 10 min.",
    );
    expect((await hello("203.0.113.8")).f.type).toBe("welcome");
    const v6 = [await hello("2001:db8:1:2::a"), await hello("2001:db8:1:2::b"), await hello("2001:db8:1:2::c")];
    expect(v6.map((x) => x.f.type)).toEqual(["welcome", "welcome", "error"]);
    expect((await hello("2001:db8:1:3::a")).f.type).toBe("welcome");
    for (const x of [...a, ...v6]) x.c.close();
  });

  it("a returning visitor is not a new one", async () => {
    const first = await Client.hello(s.url, undefined, from("198.51.100.1"));
    await Client.hello(s.url, undefined, from("198.51.100.1"));
    const back = await Client.hello(s.url, first, from("198.51.100.1"));
    expect(back.visitor).toBe(first.visitor);
  });

  it("escalations: one per IP posted on its own, three for everyone; the rest in one notice, giving way", async () => {
    const ips = ["192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"];
    const vs: Awaited<ReturnType<typeof Client.hello>>[] = [];
    for (const ip of ips) vs.push(await Client.hello(s.url, undefined, from(ip)));
    for (const [i, v] of vs.entries()) v.c.send({ type: "message", id: `e${i}`, text: "I want to talk to a person" });
    await waitFor(() => s.h.ops.jobs.filter((j) => j.op === "post" || j.op === "notice").length === ips.length, 10_000);
    const posts = s.h.ops.jobs.filter((j) => j.op === "post");
    const merged = s.h.ops.jobs.filter((j) => j.op === "notice");
    expect(posts).toHaveLength(3);
    expect(merged).toHaveLength(3);
    expect(new Set(merged.map((j) => j.notice)).size).toBe(1);
    // The first IP's two visitors: one topic at most.
    const first = await s.h.hotro.backend.requests.list({ channel: "webchat" });
    const ofFirst = first.filter((r) => r.userId === vs[0]?.visitor || r.userId === vs[1]?.visitor);
    expect(ofFirst.filter((r) => !r.notice).length).toBeLessThanOrEqual(1);
    expect([...posts, ...merged].every((j) => j.yields === true)).toBe(true);
    for (const v of vs) v.c.close();
  });
});
