import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import type { Intent } from "../../src/content/schema.js";
import type { Content } from "../../src/content/types.js";
import type { ChannelAdapter } from "../../src/ports/channel.js";
import type { AttachmentType, InboundEvent, OutboundMessage } from "../../src/ports/message.js";
import type { InboxItem, SendJob } from "../../src/ports/queue.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { shippedContent } from "../helpers/content.js";
import { type FakePlatform, type Recorded, type Reply, waitFor } from "../helpers/fake-platform.js";
import type { Harness } from "../helpers/harness.js";

/**
 * One suite every channel runs (Hono's `runTest({ newRouter, skip })`): the real adapter in
 * the real app (runtime, engine, in-memory store), against its platform played by a local
 * server, fed the platform's own documented payloads. A channel file is one call; what a
 * channel cannot do is listed in `skip`, each with its reason.
 *
 * @example
 * runChannelContract({ name: "zalo", make: zaloRig, fixtures: zaloFixtures });
 */

/** One message as the platform got it (refused attempts included). */
export interface Sent {
  at: number;
  /** The platform accepted it; false when it answered with a failure a test asked for. */
  ok: boolean;
  text?: string;
  /** Titles of the quick replies it carried (buttons that send a payload back). */
  quickReplies: string[];
  /** The URL of the image it showed. */
  image?: string;
}

export type Failure = "rate_limited" | "permanent" | "stuck";

/** The channel inside the app, with handles on its platform. */
export interface ChannelRig {
  h: Harness;
  adapter: ChannelAdapter;
  /**
   * The platform's own documented limits (the Bot API's 4096 characters of text), where it has
   * them. The capabilities must stay within these, and what the adapter adds after the
   * renderer (an operator's name above a part) must still fit.
   */
  limits: { text: number; quickReplies?: number; quickReplyTitle?: number };
  /** A user this platform could send us (its own id format), new each time. */
  user(): Promise<string>;
  /** What a user does before their first message on this channel (the live chat's hello). */
  prepare?(user: string): Promise<void>;
  /**
   * Hand a fixture to the channel the way its platform does: the HTTP status it answered.
   * `forged`: with a wrong signature (or, where the channel has its own credential, a wrong
   * one of those: refused is then reported as 401).
   */
  deliver(payload: unknown, opts?: { forged?: boolean }): Promise<number>;
  /** Every message the platform was asked to show `user`, in order. */
  sent(user: string): Sent[] | Promise<Sent[]>;
  /**
   * Make the platform refuse the next send to `user` with its rate limit (`waitMs`: the wait
   * it asks for), refuse every send to them for good (blocked, window closed), or take the
   * next one and never answer (`waitMs`: the adapter's time limit).
   */
  fail?(user: string, how: Failure): { waitMs: number };
  close(): Promise<void>;
}

/** The channel's payloads for each case, from the platform's documentation. */
export interface ChannelFixtures {
  text(user: string, text: string): unknown;
  /** A tapped quick reply or button carrying `payload`. */
  postback?(user: string, payload: string): unknown;
  /** The first contact (Get Started, /start, a follow, a new visitor). */
  start?(user: string): unknown;
  /** A message with a picture (or another file). */
  attachment?(user: string): unknown;
}

export const CHANNEL_CASES = [
  "identity",
  "health",
  "bad signature",
  "redelivery",
  "text",
  "postback",
  "start",
  "attachment",
  "long text",
  "quick replies",
  "images",
  "rate limit",
  "permanent error",
  "stuck platform",
] as const;
export type ChannelCase = (typeof CHANNEL_CASES)[number];

export interface ChannelContract {
  /** The channel id (`telegram`): also what the adapter must call itself. */
  name: string;
  /** Build the app with the channel, on `content` (the shipped flows plus the suite's intents). */
  make(content: Content): Promise<ChannelRig>;
  fixtures: ChannelFixtures;
  /** Cases this channel cannot run, each with the reason (shown in the test's title). */
  skip?: Partial<Record<ChannelCase, string>>;
}

/** The suite's own replies, reached by tapping `intent:contract.*` (never by matching words). */
export const SHORT_REPLY = "Một câu trả lời ngắn cho bài kiểm tra.";
const paragraph = (i: number) => `Đoạn #${i}: hệ thống đang bảo trì định kỳ, mọi giao dịch sẽ được xử lý lại tự động.`;
/** About 10,000 characters: more than Telegram, Messenger or Zalo show in one message. */
export const LONG_REPLY = Array.from({ length: 120 }, (_, i) => paragraph(i + 1)).join(" ");
export const CHOICES = Array.from({ length: 13 }, (_, i) => ({
  label: `Lựa chọn số ${i + 1}: kiểm tra trạng thái yêu cầu hỗ trợ`,
  payload: `intent:contract.short#${i + 1}`,
}));
export const IMAGE_URL = "https://hotro.example.vn/huong-dan/anh-1.png";
export const OPERATOR = "Lan";

function intent(reply: string, extra: Partial<Intent> = {}): Intent {
  const marker = `zzq contract ${randomUUID().slice(0, 6)}`;
  return {
    title: { vi: "Kiểm tra", en: "Contract" },
    examples: { vi: [marker], en: [marker] },
    others: [],
    reply: { vi: reply, en: reply },
    suggest: false,
    ...extra,
  };
}

/** The shipped content plus three intents only the suite reaches (by payload). */
export function contractContent(): Content {
  const content = structuredClone(shippedContent());
  content.flows.intents["contract.short"] = intent(SHORT_REPLY);
  content.flows.intents["contract.long"] = intent(LONG_REPLY);
  content.flows.intents["contract.choices"] = intent("Bạn chọn một mục nhé.", {
    quick_replies: CHOICES.map((c) => ({ label: { vi: c.label, en: c.label }, payload: c.payload })),
  });
  return content;
}

/**
 * Failures scripted on a fake platform for one user's requests: the first `times` matching
 * requests get `reply`, and are remembered in `refused` (so `Sent.ok` can tell them apart).
 */
export function refuse(
  fake: FakePlatform,
  refused: Set<Recorded>,
  match: (r: Recorded) => boolean,
  reply: Reply,
  times = 1,
): void {
  let left = times;
  fake.on((r) => {
    if (left <= 0 || !match(r)) return undefined;
    left--;
    refused.add(r);
    return reply;
  });
}

const ATTACHMENT_TYPES: AttachmentType[] = [
  "image",
  "file",
  "audio",
  "video",
  "sticker",
  "location",
  "contact",
  "link",
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The paragraph numbers a set of messages carries, in the order they came (`#12:` is never split). */
const numbers = (texts: string[]) => [...texts.join("\n").matchAll(/#(\d+):/g)].map((m) => Number(m[1]));
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function runChannelContract(c: ChannelContract): void {
  const skip = c.skip ?? {};
  for (const [kase, why] of Object.entries(skip)) {
    if (!(CHANNEL_CASES as readonly string[]).includes(kase)) throw new Error(`${c.name}: no case "${kase}" to skip`);
    if (!why?.trim()) throw new Error(`${c.name}: skipping "${kase}" needs a reason`);
  }
  const test = (kase: ChannelCase, title: string, fn: () => Promise<void>, timeout = 30_000) => {
    const why = skip[kase];
    if (why) it.skip(`${title} (skipped: ${why})`, fn);
    else it(title, fn, timeout);
  };

  describe(`the ${c.name} channel contract`, () => {
    let rig: ChannelRig;
    let runtime: Runtime;
    let accepted: MockInstance<Runtime["accept"]>;
    let processed: MockInstance<Runtime["process"]>;
    let sends: MockInstance<ChannelAdapter["send"]>;

    beforeAll(async () => {
      rig = await c.make(contractContent());
      runtime = rig.h.hotro.runtime;
      // Spies that call through: what the adapter hands the app, each turn, each send.
      accepted = vi.spyOn(runtime, "accept");
      processed = vi.spyOn(runtime, "process");
      sends = vi.spyOn(rig.adapter, "send");
    });
    afterAll(async () => {
      for (const spy of [accepted, processed, sends]) spy?.mockRestore();
      await rig?.close();
    });

    const conv = (user: string) => `${c.name}:${user}`;
    const mark = () => accepted.mock.calls.length;
    const eventsSince = (from: number, user: string) =>
      accepted.mock.calls.slice(from).flatMap(([events]) => events.filter((e) => e.userId === user));
    const sent = async (user: string) => await rig.sent(user);
    const ok = async (user: string) => (await sent(user)).filter((s) => s.ok);
    /** Every event handed to the app recorded, every recorded event processed, every queued send done. */
    const idle = async () => {
      await Promise.allSettled(accepted.mock.results.map((r) => r.value));
      const b = rig.h.hotro.backend;
      await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 20_000, "idle");
    };
    /** The bot's answer to a tapped button, through the runtime (render, outbox, adapter, platform). */
    const tap = async (user: string, payload: string) => {
      await runtime.accept([
        {
          id: `${c.name}:contract:${randomUUID()}`,
          channel: c.name,
          userId: user,
          timestamp: Date.now(),
          kind: "postback",
          payload,
        },
      ]);
      await idle();
    };
    /** An operator's message to the user, through the runtime like one from the operators' group. */
    const operatorSays = async (user: string, m: { text?: string; image?: { url: string } }) => {
      await runtime.control(
        conv(user),
        { kind: "operator_message", requestId: "HT-900001", operator: OPERATOR, ...m },
        `contract:${randomUUID()}`,
      );
      await idle();
    };
    const job = (user: string, message: OutboundMessage): SendJob => ({
      kind: "send",
      channel: c.name,
      userId: user,
      conv: conv(user),
      message,
      userLastAt: Date.now() - 60_000,
    });
    const fixture = <K extends keyof ChannelFixtures>(k: K): NonNullable<ChannelFixtures[K]> => {
      const f = c.fixtures[k];
      if (!f) throw new Error(`${c.name}: no "${k}" fixture: add one, or skip the case with its reason`);
      return f as NonNullable<ChannelFixtures[K]>;
    };
    const failing = (user: string, how: Failure) => {
      if (!rig.fail)
        throw new Error(`${c.name}: the rig cannot script platform failures: add fail(), or skip the case`);
      return rig.fail(user, how);
    };
    /** Deliver one fixture for a new user; the events the adapter handed the app for it. */
    const inbound = async (payloadOf: (user: string) => unknown, opts: { prepare?: boolean } = {}) => {
      const user = await rig.user();
      if (opts.prepare !== false) await rig.prepare?.(user);
      await idle();
      const from = mark();
      const before = (await sent(user)).length;
      expect(await rig.deliver(payloadOf(user))).toBe(200);
      const events = eventsSince(from, user);
      await idle();
      return { user, events, replies: (await sent(user)).slice(before).filter((s) => s.ok) };
    };
    const one = (events: InboundEvent[]): InboundEvent => {
      expect(events).toHaveLength(1);
      const [e] = events;
      if (!e) throw new Error("no event");
      // Ids are the dedupe keys: namespaced by channel, so two platforms' ids never collide.
      expect(e.id.startsWith(`${c.name}:`), e.id).toBe(true);
      expect(e.channel).toBe(c.name);
      expect(Number.isFinite(e.timestamp) && e.timestamp > 0).toBe(true);
      return e;
    };

    test("identity", "has an id, a name operators read, and its capabilities as data", async () => {
      const a = rig.adapter;
      expect(a.id).toBe(c.name);
      expect(a.name.trim()).not.toBe("");
      const caps = a.capabilities;
      for (const k of ["maxTextLength", "maxQuickReplyTitle", "maxButtonTitle", "maxTextWithButtons"] as const)
        expect(Number.isInteger(caps[k]) && caps[k] > 0, k).toBe(true);
      for (const k of ["maxQuickReplies", "maxButtons"] as const)
        expect(Number.isInteger(caps[k]) && caps[k] >= 0, k).toBe(true);
      expect(caps.maxTextWithButtons).toBeLessThanOrEqual(caps.maxTextLength);
      expect(caps.maxTextLength).toBeLessThanOrEqual(rig.limits.text);
      expect(caps.maxQuickReplies).toBeLessThanOrEqual(rig.limits.quickReplies ?? caps.maxQuickReplies);
      expect(caps.maxQuickReplyTitle).toBeLessThanOrEqual(rig.limits.quickReplyTitle ?? caps.maxQuickReplyTitle);
      for (const t of caps.buttonTypes) expect(["url", "phone", "postback"]).toContain(t);
      for (const k of ["quickRepliesWithButtons", "images", "typing"] as const)
        expect(typeof caps[k], k).toBe("boolean");
      expect(rig.h.hotro.channels.get(c.name)).toBe(a);
    });

    test("health", "health() has the readiness shape, and /readyz reports the channel up", async () => {
      const h = rig.adapter.health();
      expect(
        Object.keys(h).every((k) => ["ok", "reason", "state"].includes(k)),
        JSON.stringify(h),
      ).toBe(true);
      expect(h).toEqual({ ok: true });
      const ready = await rig.h.hotro.app.inject({ url: "/readyz" });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks[c.name]).toEqual({ ok: true, state: "up" });
    });

    test("bad signature", "refuses a payload with a bad signature (401): nothing recorded, nothing sent", async () => {
      const user = await rig.user();
      const from = mark();
      expect(await rig.deliver(fixture("text")(user, "xin chào"), { forged: true })).toBe(401);
      await idle();
      await sleep(200);
      expect(eventsSince(from, user)).toEqual([]);
      expect(await rig.h.hotro.backend.sessions.get(conv(user))).toBeUndefined();
      expect(await sent(user)).toEqual([]);
    });

    test("redelivery", "drops a redelivery: one turn, one reply", async () => {
      const user = await rig.user();
      await rig.prepare?.(user);
      await idle();
      const from = mark();
      const sendsBefore = sends.mock.calls.length;
      const payload = fixture("text")(user, "số hotline là gì");
      expect(await rig.deliver(payload)).toBe(200);
      expect(await rig.deliver(payload)).toBe(200);
      await idle();
      await sleep(200);
      const events = eventsSince(from, user);
      expect(events).toHaveLength(2);
      const key = events[0]?.id ?? "";
      expect(events[1]?.id).toBe(key);
      expect(processed.mock.calls.filter(([item]: [InboxItem]) => item.key === key)).toHaveLength(1);
      const session = await rig.h.hotro.backend.sessions.get(conv(user));
      expect(session?.processed?.key).toBe(key);
      const jobs = (session?.processed?.jobs ?? []).filter((j) => j.body.kind === "send");
      expect(jobs.length).toBeGreaterThan(0);
      const mine = sends.mock.calls.slice(sendsBefore).filter(([j]) => j.userId === user);
      expect(mine).toHaveLength(jobs.length);
    });

    test("text", "maps a text message to a `message` event with its text, and answers it", async () => {
      const { user, events, replies } = await inbound((u) => fixture("text")(u, "xin chào"));
      const e = one(events);
      expect(e).toMatchObject({ kind: "message", userId: user });
      expect(e.text).toContain("xin chào");
      expect(replies.length).toBeGreaterThan(0);
    });

    test("postback", "maps a tapped button to a `postback` event with its payload, and answers it", async () => {
      const { user, events, replies } = await inbound((u) => fixture("postback")(u, "intent:contract.short"));
      expect(one(events)).toMatchObject({ kind: "postback", userId: user, payload: "intent:contract.short" });
      // A first contact's answer ends with the privacy notice: the answer is what it starts with.
      expect(replies.some((s) => s.text?.startsWith(SHORT_REPLY))).toBe(true);
    });

    test("start", "maps the first contact to a `start` event, and greets", async () => {
      const { user, events, replies } = await inbound((u) => fixture("start")(u), { prepare: false });
      expect(one(events)).toMatchObject({ kind: "start", userId: user });
      expect(replies.length).toBeGreaterThan(0);
    });

    test("attachment", "maps a picture to a `message` event with its attachment", async () => {
      const { user, events } = await inbound((u) => fixture("attachment")(u));
      const e = one(events);
      expect(e).toMatchObject({ kind: "message", userId: user });
      expect(e.attachments?.length).toBeGreaterThan(0);
      for (const a of e.attachments ?? []) {
        expect(ATTACHMENT_TYPES).toContain(a.type);
        expect(a.url ?? a.fileId, "an attachment says where it is").toBeTruthy();
      }
    });

    test("long text", "splits a long text within capabilities.maxTextLength, in order, nothing lost", async () => {
      const max = rig.adapter.capabilities.maxTextLength;
      const check = (texts: string[], paragraphs: number, limit: number) => {
        for (const t of texts) expect(t.length, "a message's length").toBeLessThanOrEqual(limit);
        expect(numbers(texts)).toEqual(upTo(paragraphs));
      };
      // The bot's own long answer: parts as the renderer cut them.
      const bot = await rig.user();
      await tap(bot, "intent:contract.long");
      const texts = (await ok(bot)).map((s) => s.text ?? "");
      check(texts, 120, max);
      if (LONG_REPLY.length > max) expect(texts.length).toBeGreaterThan(1);
      // A person's, two and a half times the channel's limit, words only (no sentence or
      // paragraph end to split at, so parts come out full), their name going with it.
      let n = 0;
      let long = "";
      while (long.length < 2.5 * max) long += `Đoạn #${++n}: nhân viên đang kiểm tra lại giao dịch của bạn `;
      const user = await rig.user();
      await operatorSays(user, { text: long.trim() });
      const parts = (await ok(user)).map((s) => s.text ?? "");
      expect(parts.length).toBeGreaterThanOrEqual(3);
      check(parts, n, rig.limits.text);
    });

    test("quick replies", "offers quick replies within the channel's count and title length", async () => {
      const caps = rig.adapter.capabilities;
      const most = Math.min(caps.maxQuickReplies, rig.limits.quickReplies ?? caps.maxQuickReplies);
      const longest = Math.min(caps.maxQuickReplyTitle, rig.limits.quickReplyTitle ?? caps.maxQuickReplyTitle);
      const user = await rig.user();
      await tap(user, "intent:contract.choices");
      const got = await ok(user);
      expect(got.length).toBeGreaterThan(0);
      for (const m of got) {
        expect(m.quickReplies.length).toBeLessThanOrEqual(most);
        for (const t of m.quickReplies) expect(t.length, t).toBeLessThanOrEqual(longest);
      }
      const offered = got.flatMap((m) => m.quickReplies);
      if (caps.maxQuickReplies === 0) {
        // None shown as buttons: numbered lines instead, which the user types back.
        expect(got.map((m) => m.text).join("\n")).toContain(`1. ${CHOICES[0]?.label.slice(0, 10)}`);
        return;
      }
      expect(offered).toHaveLength(Math.min(CHOICES.length, caps.maxQuickReplies));
      // In order, each the start of its label (shortened with an ellipsis when too long).
      offered.forEach((title, i) => {
        expect(CHOICES[i]?.label.startsWith(title.replace(/…$/, "").trimEnd()), title).toBe(true);
      });
    });

    test("images", "shows an image where the channel can, else gives its address as text", async () => {
      const user = await rig.user();
      await operatorSays(user, { text: "Ảnh hướng dẫn đây ạ", image: { url: IMAGE_URL } });
      const got = await ok(user);
      if (rig.adapter.capabilities.images) {
        expect(got.filter((m) => m.image === IMAGE_URL)).toHaveLength(1);
      } else {
        expect(got.filter((m) => m.image)).toEqual([]);
        expect(got.some((m) => m.text?.includes(IMAGE_URL))).toBe(true);
      }
      expect(got.some((m) => m.text?.includes("Ảnh hướng dẫn đây ạ"))).toBe(true);
    });

    test("rate limit", "waits out the platform's rate limit, then delivers the message once", async () => {
      const user = await rig.user();
      const { waitMs } = failing(user, "rate_limited");
      await tap(user, "intent:contract.short");
      const tries = await sent(user);
      expect(tries.map((s) => s.ok)).toEqual([false, true]);
      expect(tries[1]?.text).toBe(tries[0]?.text);
      expect(tries[1]?.text).toContain(SHORT_REPLY);
      expect((tries[1]?.at ?? 0) - (tries[0]?.at ?? 0)).toBeGreaterThanOrEqual(waitMs - 20);
    });

    test("permanent error", "does not retry a permanent refusal (blocked, window closed)", async () => {
      const user = await rig.user();
      failing(user, "permanent");
      await tap(user, "intent:contract.short");
      await sleep(1_200); // past the first retry's backoff
      expect((await sent(user)).map((s) => s.ok)).toEqual([false]);
      const out = await rig.adapter.send(job(user, { text: SHORT_REPLY }));
      expect(out).toMatchObject({ ok: false, permanent: true });
      expect(out.ok === false && out.error.trim()).toBeTruthy();
    });

    test("stuck platform", "ends a send to a platform that never answers, as a failure worth retrying", async () => {
      const user = await rig.user();
      const { waitMs } = failing(user, "stuck");
      const t0 = Date.now();
      const out = await rig.adapter.send(job(user, { text: SHORT_REPLY }));
      const took = Date.now() - t0;
      expect(out).toMatchObject({ ok: false, permanent: false });
      expect(took).toBeLessThan(waitMs + 2_000);
      expect(await sent(user)).toHaveLength(1);
    });
  });
}
