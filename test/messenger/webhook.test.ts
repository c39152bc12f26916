import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signatureFor, verifySignature } from "../../adapters/messenger/verify.js";
import { Texts } from "../../src/engine/template.js";
import type { Db } from "../../src/store/sqlite/db.js";
import { shippedContent } from "../helpers/content.js";
import { waitFor } from "../helpers/fake-platform.js";
import {
  APP_ID,
  delivery,
  PAGE,
  PAGE_INBOX,
  type Rig,
  rig,
  SECRET,
  SEND_PATH,
  sleep,
  userMessage,
  VERIFY,
} from "./setup.js";

/** notes/messenger.md §2: 258 bytes, `\u00e4` as six literal characters. */
const FIXTURE = String.raw`{"object":"page","entry":[{"id":"1895382890692545","time":1486464322257,"messaging":[{"sender":{"id":"1412611362105802"},"recipient":{"id":"1895382890692545"},"timestamp":1486464322190,"message":{"mid":"mid.1486464322190:cb04e5a654","text":"h\u00e4llo"}}]}]}`;
const FIXTURE_SIG = "sha256=868eafb5b0ab0970409c9acaa97133a7b86900d4761c1dd9195c64d0fcddec5d";
const FIXTURE_TIME = 1486464322190;
const RESERIALISED_SIG = "sha256=cdd46ad39525cb264d814ce08a3cb092e99d1c4492e8a019b42897f252bd4b6c";

const content = shippedContent();
const vi = new Texts(content, "vi", new Date());
const greeting = content.flows.intents.greeting;
/** The exact Send API body of the greeting the shipped flows give in Vietnamese. */
const greetingBody = (user: string) => ({
  recipient: { id: user },
  messaging_type: "RESPONSE",
  message: {
    // A first contact: the greeting ends with the privacy notice (flows/privacy.yaml).
    text: `${vi.fill(greeting?.reply?.vi ?? "")}\n\n${vi.msg("privacy_notice")}`,
    quick_replies: ["contact.channels", "ticket.create", "ticket.status", "handoff.human"].map((id) => ({
      content_type: "text",
      title: content.flows.intents[id]?.title.vi,
      payload: `intent:${id}`,
    })),
    metadata: "hotro",
  },
});

const inboxRows = (r: Rig) => {
  const db = (r.h.hotro.backend as unknown as { db: Db }).db;
  return db.prepare("SELECT * FROM inbox").all() as { conv: string }[];
};

describe("signature fixtures", () => {
  it("match notes/messenger.md §2 over the raw bytes", () => {
    expect(Buffer.byteLength(FIXTURE)).toBe(258);
    expect(verifySignature(Buffer.from(FIXTURE), FIXTURE_SIG, SECRET)).toBe(true);
    const reserialised = JSON.stringify(JSON.parse(FIXTURE));
    expect(reserialised).toContain('"text":"hällo"');
    expect(signatureFor(reserialised, SECRET)).toBe(RESERIALISED_SIG);
    expect(verifySignature(Buffer.from(reserialised), FIXTURE_SIG, SECRET)).toBe(false);
    expect(
      verifySignature(
        Buffer.from("{}"),
        "sha256=448df8785dd36742e43fa3cad9de2eca8ceb6391e79c742e33e52c6637f32dac",
        SECRET,
      ),
    ).toBe(true);
    expect(
      verifySignature(
        Buffer.from("rawBody"),
        "sha256=5ed144e30fbf7b9730f32b3a05200b1a3dd9098811b41742071c847eb9202cf7",
        SECRET,
      ),
    ).toBe(true);
  });

  it("refuse missing, malformed, short and SHA-1 headers", () => {
    const raw = Buffer.from(FIXTURE);
    expect(verifySignature(raw, undefined, SECRET)).toBe(false);
    expect(verifySignature(raw, "", SECRET)).toBe(false);
    expect(verifySignature(raw, FIXTURE_SIG.slice(7), SECRET)).toBe(false);
    expect(verifySignature(raw, FIXTURE_SIG.slice(0, -2), SECRET)).toBe(false);
    expect(verifySignature(raw, `${FIXTURE_SIG}00`, SECRET)).toBe(false);
    expect(verifySignature(raw, "sha1=7fa32cc90094c474937cfafb72ae321afb6bb93b", SECRET)).toBe(false);
    expect(verifySignature(raw, FIXTURE_SIG, "OTHER_SECRET")).toBe(false);
    expect(verifySignature(raw, [FIXTURE_SIG], SECRET)).toBe(false);
  });
});

describe("POST /webhooks/messenger", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());

  it("accepts Meta's escaped-Unicode body as sent, and answers the user", async () => {
    // The documented body dates from 2017, far past the dedupe window: read by a clock set to then.
    const then = await rig({ adapter: { now: () => FIXTURE_TIME + 1000 } });
    try {
      const res = await then.post(FIXTURE, FIXTURE_SIG);
      expect(res).toEqual({ statusCode: 200, body: "EVENT_RECEIVED" });
      const [sent] = await waitFor(() => then.sent("1412611362105802").length > 0 && then.sent("1412611362105802"));
      expect(sent?.body).toMatchObject({ recipient: { id: "1412611362105802" }, messaging_type: "RESPONSE" });
      const session = await then.h.hotro.backend.sessions.get("messenger:1412611362105802");
      expect(session?.recent[0]).toMatchObject({ from: "user", text: "hällo" });
    } finally {
      await then.close();
    }
  });

  it("acknowledges the same 2017 body today without answering it: older than the dedupe window", async () => {
    expect(await r.post(FIXTURE, FIXTURE_SIG)).toEqual({ statusCode: 200, body: "EVENT_RECEIVED" });
    await r.idle();
    expect(r.sent("1412611362105802")).toHaveLength(0);
    expect(inboxRows(r).filter((x) => x.conv === "messenger:1412611362105802")).toHaveLength(0);
  });

  it("refuses the re-serialised body (401) and processes nothing", async () => {
    const before = inboxRows(r).length;
    const res = await r.post(JSON.stringify(JSON.parse(FIXTURE)), FIXTURE_SIG);
    expect(res.statusCode).toBe(401);
    expect(inboxRows(r)).toHaveLength(before);
  });

  it("verifies bodies with `\\/` escapes over the raw bytes", async () => {
    const raw = String.raw`{"object":"page","entry":[{"id":"${PAGE}","time":${Date.now()},"messaging":[{"sender":{"id":"slash"},"recipient":{"id":"${PAGE}"},"timestamp":${Date.now()},"message":{"mid":"m_slash","text":"xin ch\u00e0o, xem https:\/\/example.com\/a"}}]}]}`;
    expect(raw).toContain("\\/");
    expect((await r.post(JSON.stringify(JSON.parse(raw)), signatureFor(raw, SECRET))).statusCode).toBe(401);
    const res = await r.post(raw, signatureFor(raw, SECRET));
    expect(res.statusCode).toBe(200);
    await waitFor(() => r.sent("slash").length > 0);
    const session = await r.h.hotro.backend.sessions.get("messenger:slash");
    expect(session?.recent[0]?.text).toBe("xin chào, xem https://example.com/a");
  });

  it("missing or wrong signature → 401, nothing recorded, nothing sent", async () => {
    const body = delivery([userMessage("nosig", "xin chào")]);
    const before = inboxRows(r).length;
    const calls = r.fake.requests.length;
    expect((await r.post(body, null)).statusCode).toBe(401);
    expect((await r.post(body, signatureFor("{}", SECRET))).statusCode).toBe(401);
    expect((await r.post(body, signatureFor(JSON.stringify(body), "WRONG_SECRET"))).statusCode).toBe(401);
    expect((await r.post(body, "sha256=zz")).statusCode).toBe(401);
    await sleep(100);
    expect(inboxRows(r)).toHaveLength(before);
    expect(r.fake.requests.length).toBe(calls);
    expect(r.sent("nosig")).toHaveLength(0);
  });

  it("a signed body that is not JSON → 400; a missing content type is still verified first", async () => {
    expect((await r.post("{not json")).statusCode).toBe(400);
    expect((await r.post("[1,2]")).statusCode).toBe(400);
    const raw = JSON.stringify(delivery([userMessage("plain", "xin chào")]));
    const unsigned = await r.h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/messenger",
      headers: { "content-type": "text/plain" },
      payload: raw,
    });
    expect(unsigned.statusCode).toBe(401);
    const signed = await r.h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/messenger",
      headers: { "content-type": "text/plain", "x-hub-signature-256": signatureFor(raw, SECRET) },
      payload: raw,
    });
    expect(signed.statusCode).toBe(200);
  });

  it("a body over 1 MiB → 413", async () => {
    const res = await r.post(JSON.stringify({ object: "page", pad: "a".repeat(1024 * 1024) }));
    expect(res.statusCode).toBe(413);
  });

  it("2 entries × 2 messages from two users → 4 answers, each user's in order", async () => {
    const t = Date.now();
    // Out of order on purpose: Meta's retries reorder, the timestamps tell the order.
    const body = delivery(
      [userMessage("ua", "cảm ơn", { ts: t + 20 }), userMessage("ub", "xin chào", { ts: t + 10 })],
      [userMessage("ua", "xin chào", { ts: t }), userMessage("ub", "cảm ơn", { ts: t + 30 })],
    );
    expect((await r.post(body)).statusCode).toBe(200);
    await waitFor(() => r.sent("ua").length + r.sent("ub").length >= 4, 10_000, "4 answers");
    await r.idle();
    const a = r.sent("ua").map((x) => x.body);
    const b = r.sent("ub").map((x) => x.body);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
    expect(a[0]).toEqual(greetingBody("ua"));
    expect(a[1]).toMatchObject({ message: { text: expect.stringMatching(/Không có gì/), metadata: "hotro" } });
    expect(b[0]).toEqual(greetingBody("ub"));
    expect(b[1]).toEqual(a[1] && { ...a[1], recipient: { id: "ub" } });
  });

  it("the same mid twice (redelivered, or twice in one delivery) → one answer", async () => {
    const m = userMessage("dup", "xin chào", { mid: "m_dup_1" });
    expect((await r.post(delivery([m]))).statusCode).toBe(200);
    expect((await r.post(delivery([m]))).statusCode).toBe(200);
    const twice = userMessage("dup2", "xin chào", { mid: "m_dup_2" });
    expect((await r.post(delivery([twice, twice]))).statusCode).toBe(200);
    await waitFor(() => r.sent("dup").length > 0 && r.sent("dup2").length > 0);
    await r.idle();
    await sleep(200);
    expect(r.sent("dup")).toHaveLength(1);
    expect(r.sent("dup2")).toHaveLength(1);
    expect(r.sent("dup")[0]?.body).toEqual(greetingBody("dup"));
  });

  it("standby items are acknowledged and never answered: the Page Inbox has the conversation (routing.test.ts)", async () => {
    const body = {
      object: "page",
      entry: [{ id: PAGE, time: Date.now(), standby: [userMessage("standby-user", "xin chào")] }],
    };
    expect(await r.post(body)).toEqual({ statusCode: 200, body: "EVENT_RECEIVED" });
    await r.idle();
    await sleep(150);
    expect(r.sent("standby-user")).toHaveLength(0);
    const session = await r.h.hotro.backend.sessions.get("messenger:standby-user");
    expect(session?.mode).toBe("human");
    expect(session?.recent.at(-1)).toMatchObject({ from: "user", text: "xin chào" });
  });

  it("deliveries, reads, our own echoes, Test-button changes and unknown items → 200 and ignored", async () => {
    const u = "quiet-user";
    const base = { sender: { id: u }, recipient: { id: PAGE }, timestamp: Date.now() };
    const body = delivery([
      { ...base, delivery: { mids: ["m_1"], watermark: Date.now() } },
      { ...base, read: { watermark: Date.now() } },
      { ...base, reaction: { reaction: "love", emoji: "❤", action: "react", mid: "m_1" } },
      {
        sender: { id: PAGE },
        recipient: { id: u },
        timestamp: Date.now(),
        message: { is_echo: true, app_id: Number(APP_ID), metadata: "hotro", mid: "m_own_echo", text: "bot said" },
      },
    ]);
    expect(await r.post(body)).toEqual({ statusCode: 200, body: "EVENT_RECEIVED" });
    const test = {
      entry: [{ changes: [{ field: "messages", value: { page_id: PAGE } }], id: "0", time: 1 }],
      object: "page",
    };
    expect((await r.post(test)).statusCode).toBe(200);
    expect((await r.post({ object: "instagram", entry: [] })).statusCode).toBe(200);
    await r.idle();
    expect(inboxRows(r).filter((x) => x.conv === `messenger:${u}`)).toHaveLength(0);
    // Our own echo did not silence the bot: the user's next message is answered.
    await r.post(delivery([userMessage(u, "xin chào")]));
    await waitFor(() => r.sent(u).length === 1);
  });

  it("a person answering from the Page Inbox (foreign echo) silences the bot for that user only", async () => {
    const u = "inbox-user";
    await r.post(delivery([userMessage(u, "xin chào")]));
    await waitFor(() => r.sent(u).length === 1);
    const echo = {
      sender: { id: PAGE },
      recipient: { id: u },
      timestamp: Date.now(),
      message: { is_echo: true, app_id: PAGE_INBOX, mid: "m_inbox_echo", text: "Chào bạn, mình là Lan bên CSKH" },
    };
    expect((await r.post(delivery([echo]))).statusCode).toBe(200);
    await r.idle();
    const session = await r.h.hotro.backend.sessions.get(`messenger:${u}`);
    expect(session?.mode).toBe("human");
    await r.post(delivery([userMessage(u, "xin chào"), userMessage("other-user", "xin chào")]));
    await waitFor(() => r.sent("other-user").length === 1);
    await r.idle();
    await sleep(150);
    expect(r.sent(u)).toHaveLength(1); // still only the answer from before the person spoke
  });
});

describe("GET /webhooks/messenger", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());

  it("answers the challenge unchanged as plain text", async () => {
    const res = await r.h.hotro.app.inject({
      url: `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("1158201444");
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    const odd = await r.h.hotro.app.inject({
      url: `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=00CHALLENGE_ACCEPTED`,
    });
    expect(odd.body).toBe("00CHALLENGE_ACCEPTED");
  });

  it("403 on a wrong token, a wrong mode or missing fields", async () => {
    for (const q of [
      "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
      `hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`,
      `hub.verify_token=${VERIFY}&hub.challenge=1`,
      "",
    ]) {
      const res = await r.h.hotro.app.inject({ url: `/webhooks/messenger?${q}` });
      expect(res.statusCode).toBe(403);
    }
    expect(r.logs.join("")).not.toContain(VERIFY);
    expect(r.h.logs.join("")).not.toContain(VERIFY);
  });
});

describe("without MESSENGER_APP_ID", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ appId: null });
  });
  afterAll(() => r.close());

  it("an echo tagged with our metadata is ours; an untagged echo is a person", async () => {
    const echo = (u: string, mid: string, metadata?: string) => ({
      sender: { id: PAGE },
      recipient: { id: u },
      timestamp: Date.now(),
      message: { is_echo: true, app_id: 1234, mid, text: "…", ...(metadata ? { metadata } : {}) },
    });
    await r.post(delivery([echo("tagged", "m_e1", "hotro"), echo("untagged", "m_e2")]));
    await r.post(delivery([userMessage("tagged", "xin chào"), userMessage("untagged", "xin chào")]));
    await waitFor(() => r.sent("tagged").length === 1);
    await r.idle();
    await sleep(150);
    expect(r.sent("untagged")).toHaveLength(0);
    const messages = r.fake.to(SEND_PATH).filter((x) => (x.body as { message?: unknown }).message !== undefined);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((x) => (x.body as { message?: { metadata?: string } }).message?.metadata === "hotro")).toBe(
      true,
    );
  });
});
