import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDelivery } from "../../adapters/messenger/inbound.js";
import type { ControlEvent } from "../../src/ports/control.js";
import { waitFor } from "../helpers/fake-platform.js";
import { APP_ID, delivery, PAGE, PAGE_INBOX, type Rig, rig, SEND_PATH, sleep, userMessage } from "./setup.js";

/**
 * Conversation routing (the successor of the handover protocol): when the Page's people answer
 * from the Page Inbox, the Page Inbox owns the thread and this app gets the user's messages as
 * `standby`. Payloads as Meta documents them: developers.facebook.com/documentation/
 * business-messaging/messenger-platform/webhooks/webhook-events/standby and …/messaging_handovers.
 */

const INBOX = String(PAGE_INBOX);

/** `take_thread_control`: the Page Inbox took the thread from this app. */
const taken = (psid: string) => ({
  sender: { id: psid },
  recipient: { id: PAGE },
  timestamp: Date.now(),
  take_thread_control: { previous_owner_app_id: APP_ID, new_owner_app_id: INBOX, metadata: "" },
});

/** `pass_thread_control`: the thread was passed to this app. */
const passed = (psid: string) => ({
  sender: { id: psid },
  recipient: { id: PAGE },
  timestamp: Date.now(),
  pass_thread_control: { previous_owner_app_id: INBOX, new_owner_app_id: APP_ID, metadata: "done" },
});

/** A person's reply in the Page Inbox, echoed to this app. */
const inboxEcho = (psid: string, text: string) => ({
  sender: { id: PAGE },
  recipient: { id: psid },
  timestamp: Date.now(),
  message: { is_echo: true, app_id: PAGE_INBOX, mid: `m_inbox_${randomUUID()}`, text },
});

/** A webhook delivery whose items came on the standby channel. */
const standby = (...items: object[]) => ({
  object: "page",
  entry: [{ id: PAGE, time: Date.now(), standby: items }],
});

const messagesTo = (r: Rig, psid: string) =>
  r.fake
    .to(SEND_PATH)
    .filter((q) => (q.body as { recipient?: { id?: string } }).recipient?.id === psid)
    .filter((q) => (q.body as { message?: unknown }).message !== undefined);

const textOf = (q: { body: unknown }) => (q.body as { message?: { text?: string } }).message?.text ?? "";

async function requestOf(r: Rig, psid: string) {
  const [req] = await r.h.hotro.backend.requests.list({ conv: `messenger:${psid}` });
  return req;
}

const control = (r: Rig, psid: string, event: ControlEvent) =>
  r.h.hotro.runtime.control(`messenger:${psid}`, event, `test:${randomUUID()}`);

describe("parsing conversation routing's webhooks", () => {
  it("standby words are `standby` events; echoes there are a person answering; handovers are read apart", () => {
    const body = {
      object: "page",
      entry: [
        {
          id: PAGE,
          time: 1,
          standby: [
            userMessage("s1", "còn đó không", { mid: "m_s1" }),
            inboxEcho("s1", "Dạ em đây"),
            { sender: { id: "s1" }, recipient: { id: PAGE }, timestamp: 2, read: { watermark: 2 } },
            // A postback in standby carries no payload: nothing to act on.
            { sender: { id: "s1" }, recipient: { id: PAGE }, timestamp: 3, postback: { title: "Gặp nhân viên" } },
          ],
          messaging: [taken("s2"), passed("s3")],
        },
      ],
    };
    const p = parseDelivery(body, { appId: APP_ID });
    expect(p.events.map((e) => [e.kind, e.userId, e.text])).toEqual([
      ["standby", "s1", "còn đó không"],
      ["human_reply", "s1", "Dạ em đây"],
    ]);
    expect(p.standby).toBe(2);
    expect(p.handovers).toEqual([
      expect.objectContaining({ psid: "s2", kind: "take", newOwner: INBOX, previousOwner: APP_ID }),
      expect.objectContaining({ psid: "s3", kind: "pass", newOwner: APP_ID, previousOwner: INBOX }),
    ]);
  });
});

describe("a user whose thread the Page Inbox took", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ operators: true });
  });
  afterAll(() => r.close());

  it("reaches the desk, gets an operator's reply from hotro (which takes the thread back), and the bot again after close", async () => {
    const u = "pi-user-1";
    // 1. The bot answers while this app owns the thread.
    await r.post(delivery([userMessage(u, "xin chào")]));
    await waitFor(() => messagesTo(r, u).length === 1);
    await r.idle();

    // 2. Someone answers in the Page Inbox: Meta gives it the thread, tells this app, echoes the reply.
    r.routing.owner.set(u, INBOX);
    expect((await r.post(delivery([taken(u)]))).statusCode).toBe(200);
    expect((await r.post(standby(inboxEcho(u, "Dạ, em là Hoa bên CSKH")))).statusCode).toBe(200);
    await r.idle();

    // 3. The user's next words come on standby: never answered, shown to operators.
    expect((await r.post(standby(userMessage(u, "đơn hàng của mình bị treo")))).statusCode).toBe(200);
    await r.idle();
    await sleep(100);
    expect(messagesTo(r, u)).toHaveLength(1);
    const req = await requestOf(r, u);
    if (!req) throw new Error("no request for the standby conversation");
    expect(req).toMatchObject({ status: "open", handoff: true, rule: "platform_inbox" });
    let transcript = await r.h.hotro.backend.requests.transcript(req.id);
    expect(transcript).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: "user", text: "đơn hàng của mình bị treo" }),
        expect.objectContaining({ kind: "event", event: "inbox", by: "Page Inbox" }),
      ]),
    );
    // The operators' group is given the request, and told who has the conversation.
    expect(r.h.ops.jobs.filter((j) => j.requestId === req.id).map((j) => [j.op, j.text ?? ""])).toEqual([
      ["post", ""],
      ["inbox", "Page Inbox"],
    ]);

    // 4. More words on standby: added to the request and mirrored, the marker not repeated.
    await r.post(standby(userMessage(u, "mã đơn DH-1234")));
    await r.idle();
    transcript = await r.h.hotro.backend.requests.transcript(req.id);
    expect(transcript.filter((e) => e.kind === "event" && e.event === "inbox")).toHaveLength(1);
    expect(transcript.some((e) => e.from === "user" && e.text === "mã đơn DH-1234")).toBe(true);
    expect(r.h.ops.jobs.filter((j) => j.requestId === req.id).map((j) => j.op)).toEqual(["post", "inbox", "mirror"]);
    expect(messagesTo(r, u)).toHaveLength(1);

    // 5. An operator answers from hotro: the thread is taken back, then the reply arrives.
    await control(r, u, { kind: "operator_message", requestId: req.id, operator: "Lan", text: "Mình kiểm tra ngay ạ" });
    await r.idle();
    const takes = r.fake.to("/v21.0/me/take_thread_control");
    expect(takes.map((q) => q.body)).toEqual([{ recipient: { id: u }, metadata: "hotro: an operator answers" }]);
    expect(r.routing.owner.get(u)).toBe(APP_ID);
    const sent = messagesTo(r, u);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.at).toBeGreaterThanOrEqual(takes[0]?.at ?? Number.POSITIVE_INFINITY);
    expect(textOf(sent[1] ?? { body: {} })).toBe("Lan:\nMình kiểm tra ngay ạ");

    // 6. Closed: the user is told; the Page Inbox is not primary here, so hotro keeps the thread.
    await control(r, u, { kind: "request_closed", requestId: req.id, operator: "Lan" });
    await r.idle();
    expect(messagesTo(r, u)).toHaveLength(3);
    expect(r.fake.to("/v21.0/me/pass_thread_control")).toHaveLength(0);

    // 7. The user writes again (in `messaging`: the thread is this app's): the bot answers.
    await r.post(delivery([userMessage(u, "số hotline là gì")]));
    await waitFor(() => messagesTo(r, u).length === 4);
    expect(textOf(messagesTo(r, u)[3] ?? { body: {} })).toMatch(/1900/);
  });

  it("a bot reply never takes the thread from the Page Inbox: it is refused as Meta refuses it", async () => {
    const u = "pi-user-2";
    r.routing.owner.set(u, INBOX);
    await r.post(delivery([taken(u)]));
    const out = await r.adapter.send({
      kind: "send",
      channel: "messenger",
      userId: u,
      conv: `messenger:${u}`,
      message: { text: "Bạn cần gì thêm không?" },
      userLastAt: Date.now(),
    });
    expect(out).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining("Page Inbox") });
    expect(r.fake.to("/v21.0/me/take_thread_control").filter((q) => JSON.stringify(q.body).includes(u))).toEqual([]);
  });

  it("a stale record (no handover seen): Meta's 2018300 refusal makes hotro take the thread and send once more", async () => {
    const u = "pi-user-3";
    r.routing.owner.set(u, INBOX);
    const out = await r.adapter.send({
      kind: "send",
      channel: "messenger",
      userId: u,
      conv: `messenger:${u}`,
      message: { text: "Chào bạn", from: { kind: "operator", name: "Minh" } },
      userLastAt: Date.now(),
      byPerson: true,
      control: "operator_message",
    });
    expect(out).toEqual({ ok: true });
    // Refused once (10/2018300), taken, sent again.
    expect(messagesTo(r, u).map(textOf)).toEqual(["Minh:\nChào bạn", "Minh:\nChào bạn"]);
    expect(r.fake.to("/v21.0/me/take_thread_control").filter((q) => JSON.stringify(q.body).includes(u))).toHaveLength(
      1,
    );
    expect(r.routing.owner.get(u)).toBe(APP_ID);
  });

  it("the thread passed back to hotro: the next words are answered by the bot", async () => {
    const u = "pi-user-4";
    r.routing.owner.set(u, INBOX);
    await r.post(delivery([taken(u)]));
    r.routing.owner.set(u, APP_ID);
    await r.post(delivery([passed(u)]));
    expect(await r.adapter.threads.get(u)).toMatchObject({ owner: "self" });
  });
});

describe("the app's role does not allow taking the thread", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ operators: true });
    r.routing.allowTake = false;
  });
  afterAll(() => r.close());

  it("the operator's reply fails with a clear reason in the request's transcript", async () => {
    const u = "pi-refused";
    r.routing.owner.set(u, INBOX);
    await r.post(delivery([taken(u)]));
    await r.post(standby(userMessage(u, "alo shop ơi")));
    await r.idle();
    const req = await requestOf(r, u);
    if (!req) throw new Error("no request");
    await control(r, u, { kind: "operator_message", requestId: req.id, operator: "Lan", text: "Dạ shop nghe" });
    await r.idle();
    const failure = await waitFor(async () =>
      (await r.h.hotro.backend.requests.transcript(req.id)).find((e) => e.kind === "failure"),
    );
    expect(failure.text).toContain("Conversation routing");
    expect(failure.text).toContain("take control");
    expect(messagesTo(r, u)).toHaveLength(0);
    await waitFor(() => r.h.ops.jobs.some((j) => j.op === "failure" && j.requestId === req.id));
    expect(await r.h.hotro.backend.requests.get(req.id)).toMatchObject({ lastError: failure.text });
  });
});

describe("the Page Inbox is primary (MESSENGER_INBOX_PRIMARY=on)", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ operators: true, adapter: { inboxPrimary: true } });
  });
  afterAll(() => r.close());

  it("closing in hotro hands the conversation back to the Page Inbox", async () => {
    const u = "pi-primary";
    r.routing.owner.set(u, INBOX);
    await r.post(delivery([taken(u)]));
    await r.post(standby(userMessage(u, "cho mình hỏi phí ship")));
    await r.idle();
    const req = await requestOf(r, u);
    if (!req) throw new Error("no request");
    await control(r, u, { kind: "operator_message", requestId: req.id, operator: "Lan", text: "Phí ship 20k ạ" });
    await control(r, u, { kind: "request_closed", requestId: req.id, operator: "Lan" });
    await r.idle();
    expect(messagesTo(r, u)).toHaveLength(2);
    expect(r.fake.to("/v21.0/me/pass_thread_control").map((q) => q.body)).toEqual([
      { recipient: { id: u }, target_app_id: INBOX, metadata: "hotro: request closed" },
    ]);
    expect(r.routing.owner.get(u)).toBe(INBOX);
    // Its people answer there now: the user's next words are shown to operators again, not answered.
    await r.post(standby(userMessage(u, "cảm ơn shop")));
    await r.idle();
    expect(messagesTo(r, u)).toHaveLength(2);
  });

  it("the Page Inbox asking for a thread (request_thread_control) gets it", async () => {
    const u = "pi-asks";
    await r.post(
      delivery([
        {
          sender: { id: u },
          recipient: { id: PAGE },
          timestamp: Date.now(),
          request_thread_control: { requested_owner_app_id: PAGE_INBOX, metadata: "" },
        },
      ]),
    );
    await waitFor(() => r.routing.owner.get(u) === INBOX);
  });
});
