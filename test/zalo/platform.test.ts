import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ZaloChannel, ZaloOptions } from "../../adapters/zalo/channel.js";
import { encodeQuickReply } from "../../adapters/zalo/outbound.js";
import type { Content } from "../../src/content/types.js";
import { requestView } from "../../src/desk/view.js";
import type { ControlEvent } from "../../src/ports/control.js";
import { channelDeps } from "../../src/root/compose.js";
import { shippedContent } from "../helpers/content.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { APP_ID, channel, FakeZalo, msgId, OA_ID, sign, userText } from "./fake-zalo.js";

/**
 * Zalo OA as it bills and limits replies, with payloads as Zalo documents them
 * (developers.zalo.me, OA API v3: /v3.0/oa/message/cs, the webhook's user_send_text, follow,
 * user_click_chatnow and user_submit_info events): replies name the user's message, the
 * window is tracked per user (free, billed, closed), first contacts are greeted once, and a
 * form can ask for the phone number with Zalo's request_user_info card.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CARD_IMAGE = "https://hotro.example.vn/zalo-thong-tin.png";

type Body = {
  recipient: { user_id?: string; message_id?: string };
  message: {
    text?: string;
    quote_message_id?: string;
    attachment?: {
      payload: { template_type?: string; elements?: { title: string; subtitle: string; image_url: string }[] };
    };
  };
};

interface Rig {
  z: FakeZalo;
  h: Harness;
  zalo: ZaloChannel;
  /** The clock the app and the channel read (ms), moved by tests. */
  clock: { now: number };
  deliver(event: Record<string, unknown>): Promise<number>;
  /** Every send call to `user` (by user id or by the message ids the user sent). */
  to(user: string): Body[];
  close(): Promise<void>;
}

/** A form that asks for a phone number (what a deployment adds to flows/forms.yaml). */
function callbackContent(): Content {
  const c = structuredClone(shippedContent());
  c.flows.forms.callback = {
    fields: [
      {
        id: "phone",
        type: "phone",
        optional: false,
        label: { vi: "Số điện thoại", en: "Phone" },
        prompt: { vi: "Số điện thoại để bên mình gọi lại là gì?", en: "Which number should we call you back on?" },
      },
    ],
    done: { vi: "Mình đã ghi nhận yêu cầu {request_id}.", en: "I've filed request {request_id}." },
  };
  c.flows.intents["callback.request"] = {
    title: { vi: "Gọi lại cho tôi", en: "Call me back" },
    examples: { vi: ["zzq gọi lại cho tôi"], en: ["zzq call me back"] },
    others: [],
    form: "callback",
    suggest: true,
  };
  return c;
}

async function makeRig(extra: Partial<ZaloOptions> = {}, content?: Content): Promise<Rig> {
  const z = await new FakeZalo().start();
  const clock = { now: Date.now() };
  const sentIds = new Map<string, string>();
  const h = await harness({
    operators: true,
    now: () => new Date(clock.now),
    ...(content ? { content } : {}),
    // As adapters/zalo/index.ts wires it: the brand names the request_user_info card.
    makeChannels: (d) => [
      channel(z, channelDeps(d), { now: () => clock.now, brand: () => d.content.config.brand.name, ...extra }),
    ],
  });
  const zalo = h.hotro.channels.get("zalo") as ZaloChannel;
  return {
    z,
    h,
    zalo,
    clock,
    async deliver(event) {
      const payload = JSON.stringify({ app_id: APP_ID, timestamp: String(clock.now), ...event });
      const id = (event.message as { msg_id?: string } | undefined)?.msg_id;
      const from = (event.sender as { id?: string } | undefined)?.id;
      if (id && from) sentIds.set(id, from);
      const res = await h.hotro.app.inject({
        method: "POST",
        url: "/webhooks/zalo",
        headers: { "content-type": "application/json", "x-zevent-signature": sign(payload) },
        payload,
      });
      return res.statusCode;
    },
    to(user) {
      return z.api
        .to("/v3.0/oa/message/cs")
        .map((r) => r.body as Body)
        .filter(
          (b) =>
            b.recipient.user_id === user ||
            (b.recipient.message_id !== undefined && sentIds.get(b.recipient.message_id) === user),
        );
    },
    async close() {
      await h.close();
      await z.stop();
    },
  };
}

let users = 0;
const newUser = () => `24684588352919${String(60000 + ++users)}`;
const idle = async (h: Harness) => {
  const b = h.hotro.backend;
  await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 10_000, "idle");
};
const control = (h: Harness, user: string, event: ControlEvent) =>
  h.hotro.runtime.control(`zalo:${user}`, event, `test:${randomUUID()}`);

/** The user asks for a person: a request operators can answer. */
async function escalated(r: Rig, user: string): Promise<string> {
  expect(await r.deliver(userText("cho mình gặp nhân viên", user))).toBe(200);
  await idle(r.h);
  const [req] = await r.h.hotro.backend.requests.list({ conv: `zalo:${user}` });
  if (!req) throw new Error("no request");
  return req.id;
}

describe("Zalo replies name the user's message (ZALO_REPLY_REFERENCE=quote, the default)", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await makeRig();
  });
  afterAll(() => r.close());

  it("the bot's reply and an operator's later reply carry the id of the user's last message", async () => {
    const user = newUser();
    const first = msgId();
    expect(await r.deliver(userText("số hotline là gì", user, first))).toBe(200);
    await waitFor(() => r.to(user).length === 1);
    expect(r.to(user)[0]).toMatchObject({ recipient: { user_id: user }, message: { quote_message_id: first } });

    const second = msgId();
    await r.deliver(userText("cho mình gặp nhân viên", user, second));
    await idle(r.h);
    const [req] = await r.h.hotro.backend.requests.list({ conv: `zalo:${user}` });
    if (!req) throw new Error("no request");
    const before = r.to(user).length;
    await control(r.h, user, { kind: "operator_message", requestId: req.id, operator: "Lan", text: "Dạ em nghe ạ" });
    await idle(r.h);
    const reply = r.to(user).slice(before);
    expect(reply).toHaveLength(1);
    expect(reply[0]?.message).toMatchObject({ text: "Dạ em nghe ạ", quote_message_id: second });
  });

  it("a reference Zalo refuses (-201) is dropped and the reply sent again without it", async () => {
    const user = newUser();
    let refused = 0;
    r.z.api.on((q) => {
      const b = q.body as Body;
      if (q.path !== "/v3.0/oa/message/cs" || b.recipient.user_id !== user || !b.message.quote_message_id)
        return undefined;
      refused++;
      return { body: { error: -201, message: "Parameter is invalid" } };
    });
    await r.deliver(userText("số hotline là gì", user));
    await waitFor(() => r.z.delivered(user).length === 1);
    expect(refused).toBe(1);
    expect((r.z.delivered(user)[0]?.body as Body | undefined)?.message.quote_message_id).toBeUndefined();
    expect(r.z.delivered(user)).toHaveLength(1);
  });
});

describe("ZALO_REPLY_REFERENCE=recipient: the PHP SDK's reply to a message", () => {
  it("sends to recipient.message_id instead of the user id", async () => {
    const r = await makeRig({ replyReference: "recipient" });
    try {
      const user = newUser();
      const id = msgId();
      await r.deliver(userText("số hotline là gì", user, id));
      await waitFor(() => r.to(user).length === 1);
      expect(r.to(user)[0]?.recipient).toEqual({ message_id: id });
      expect(r.to(user)[0]?.message.quote_message_id).toBeUndefined();
    } finally {
      await r.close();
    }
  });
});

describe("the reply window, per user", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await makeRig();
  });
  afterAll(() => r.close());

  const view = (id: string) =>
    requestView(
      {
        requests: r.h.hotro.backend.requests,
        sessions: r.h.hotro.backend.sessions,
        channels: { name: () => "Zalo", window: () => r.zalo.capabilities.replyWindow },
      },
      id,
    );

  it("within 48 h free, then billed: sent, and the console shows which applies", async () => {
    const user = newUser();
    const id = await escalated(r, user);
    const w = (await view(id))?.window;
    if (!w?.freeUntil) throw new Error("no free part in the window");
    expect(w.freeUntil - w.lastUserAt).toBe(48 * HOUR);
    expect(w.botUntil - w.lastUserAt).toBe(7 * DAY);
    expect(r.clock.now).toBeLessThan(w.freeUntil);
    r.clock.now += 3 * DAY; // billed now, still open
    const before = r.to(user).length;
    await control(r.h, user, { kind: "operator_message", requestId: id, operator: "Lan", text: "Em gửi báo giá ạ" });
    await idle(r.h);
    expect(
      r
        .to(user)
        .slice(before)
        .map((b) => b.message.text),
    ).toEqual(["Em gửi báo giá ạ"]);
    expect(r.clock.now).toBeGreaterThan(w.freeUntil);
    expect(r.clock.now).toBeLessThan(w.botUntil);
  });

  it("past 7 days an operator's reply is refused here, and the reason shows on their message for operators", async () => {
    const user = newUser();
    r.clock.now = Date.now();
    const id = await escalated(r, user);
    r.clock.now += 8 * DAY;
    const before = r.z.api.to("/v3.0/oa/message/cs").length;
    await control(r.h, user, {
      kind: "operator_message",
      requestId: id,
      operator: "Lan",
      text: "Bạn còn cần hỗ trợ không?",
    });
    await idle(r.h);
    const shown = await waitFor(async () => {
      const v = await view(id);
      return v?.transcript.find((e) => e.from === "operator" && e.error) && v;
    });
    // Nothing went to Zalo: the window is known to be closed.
    expect(r.z.api.to("/v3.0/oa/message/cs")).toHaveLength(before);
    const mine = shown.transcript.find((e) => e.from === "operator" && e.text === "Bạn còn cần hỗ trợ không?");
    expect(mine?.error).toContain("Zalo accepts consultation messages for 7 days only");
    expect(mine?.error).toContain("ZNS");
    expect(shown.request).toMatchObject({ id });
    expect(r.clock.now).toBeGreaterThan(shown.window?.botUntil ?? Number.POSITIVE_INFINITY);
    expect((await r.h.hotro.backend.requests.get(id))?.lastError).toContain("7 days");
    // The operators' group is told too, and the metric counts it as a closed window.
    await waitFor(() => r.h.ops.jobs.some((j) => j.op === "failure" && j.requestId === id));
    const metrics = await r.h.hotro.metrics.registry.metrics();
    expect(metrics).toMatch(/hotro_delivery_failures_total\{[^}]*channel="zalo"[^}]*reason="window_closed"[^}]*\} 1/);
  });

  it("Zalo's own -230 (no interaction in 7 days) is a closed window too", async () => {
    const out = await r.zalo.send({
      kind: "send",
      channel: "zalo",
      userId: newUser(),
      conv: "zalo:x",
      message: { text: "Chào bạn" },
    });
    expect(out).toEqual({ ok: true });
    const user = newUser();
    r.z.api.on((q) =>
      (q.body as Body).recipient.user_id === user ? { body: { error: -230, message: "no interaction" } } : undefined,
    );
    const refused = await r.zalo.send({
      kind: "send",
      channel: "zalo",
      userId: user,
      conv: `zalo:${user}`,
      message: { text: "Chào" },
    });
    expect(refused).toMatchObject({ ok: false, permanent: true, reason: "window_closed" });
  });
});

describe("first contact", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await makeRig();
  });
  afterAll(() => r.close());

  const follow = (user: string, event = "follow") => ({
    oa_id: OA_ID,
    follower: { id: user },
    event_name: event,
    source: "oa_profile",
    user_id_by_app: "5521772797175877301",
  });
  /** The user tapped "Nhắn tin" on the OA profile. */
  const chatnow = (user: string) => ({ oa_id: OA_ID, user_id: user, event_name: "user_click_chatnow" });

  it("user_click_chatnow starts the conversation with the greeting, once a day", async () => {
    const user = newUser();
    expect(await r.deliver(chatnow(user))).toBe(200);
    await waitFor(() => r.to(user).length === 1);
    expect(r.to(user)[0]?.message.text).toContain("Xin chào");
    r.clock.now += 1000;
    expect(await r.deliver(chatnow(user))).toBe(200);
    await idle(r.h);
    expect(r.to(user)).toHaveLength(1);
  });

  it("follow greets once: not again after an unfollow and a new follow", async () => {
    const user = newUser();
    await r.deliver(follow(user));
    await waitFor(() => r.to(user).length === 1);
    r.clock.now += 2 * DAY;
    await r.deliver(follow(user, "unfollow"));
    r.clock.now += 1000;
    await r.deliver(follow(user));
    await idle(r.h);
    expect(r.to(user)).toHaveLength(1);
  });
});

describe("a form asks for the phone number with Zalo's request_user_info card", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await makeRig({ userInfoImageUrl: CARD_IMAGE }, callbackContent());
  });
  afterAll(() => r.close());

  it("the question, then the card; the shared information answers the form", async () => {
    const user = newUser();
    await r.deliver(userText(encodeQuickReply({ label: "Gọi lại cho tôi", payload: "intent:callback.request" }), user));
    await waitFor(() => r.to(user).length === 2);
    const [question, card] = r.to(user);
    expect(question?.message.text).toBe("Số điện thoại để bên mình gọi lại là gì?");
    expect(card?.message.attachment?.payload).toEqual({
      template_type: "request_user_info",
      elements: [{ title: "HoTro Demo", subtitle: "📱 Gửi số điện thoại của tôi", image_url: CARD_IMAGE }],
    });
    // The user fills Zalo's form: user_submit_info.
    await r.deliver({
      event_name: "user_submit_info",
      sender: { id: user },
      recipient: { id: OA_ID },
      user_id_by_app: "5521772797175877301",
      info: { name: "Nguyễn Văn A", phone: "84901234567", address: "", city: "", district: "", ward: "" },
    });
    await idle(r.h);
    const [req] = await r.h.hotro.backend.requests.list({ conv: `zalo:${user}` });
    expect(req?.fields).toEqual({ "Số điện thoại": "+84901234567" });
  });

  it("a card Zalo refuses leaves the typed answer", async () => {
    const user = newUser();
    r.z.api.on((q) =>
      (q.body as Body).recipient.user_id === user && (q.body as Body).message.attachment
        ? { body: { error: -223, message: "OA has not authorised this API" } }
        : undefined,
    );
    await r.deliver(userText(encodeQuickReply({ label: "Gọi lại cho tôi", payload: "intent:callback.request" }), user));
    await waitFor(() => r.to(user).length === 2);
    await r.deliver(userText("0903 123 456", user));
    await idle(r.h);
    const [req] = await r.h.hotro.backend.requests.list({ conv: `zalo:${user}` });
    expect(req?.fields).toEqual({ "Số điện thoại": "+84903123456" });
  });

  it("without ZALO_USER_INFO_IMAGE_URL the channel cannot offer the card: the question alone", async () => {
    const plain = await makeRig({}, callbackContent());
    try {
      expect(plain.zalo.capabilities.contactRequest).toBe(false);
      const user = newUser();
      await plain.deliver(userText(encodeQuickReply({ label: "Gọi lại", payload: "intent:callback.request" }), user));
      await waitFor(() => plain.to(user).length === 1);
      await idle(plain.h);
      expect(plain.to(user)).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });
});
