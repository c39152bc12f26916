import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEDUPE_TTL_MS, MAX_EVENT_AGE_MS } from "../../src/queue/dedupe.js";
import { waitFor } from "../helpers/fake-platform.js";
import { apply, mutations, processingErrors } from "../helpers/mutate.js";
import { delivery, item, PAGE, PAGE_INBOX, type Rig, rig, sleep, userMessage } from "../messenger/setup.js";

let n = 0;
const nextUser = () => `mut${++n}`;
let mid = 0;
const nextMid = () => `m_mut_${++mid}_${Date.now()}`;

/** The delivery shapes the Messenger tests use, each with a fresh user and mid. */
const FIXTURES: Record<string, (user: string) => object> = {
  text: (user) => delivery([userMessage(user, "xin chào", { mid: nextMid() })]),
  quick_reply: (user) =>
    delivery([
      item(user, {
        message: { mid: nextMid(), text: "Gặp nhân viên", quick_reply: { payload: "intent:contact.hotline" } },
      }),
    ]),
  postback: (user) =>
    delivery([item(user, { postback: { mid: nextMid(), title: "Get Started", payload: "GET_STARTED" } })]),
  referral: (user) =>
    delivery([
      item(user, {
        postback: {
          mid: nextMid(),
          title: "Get Started",
          payload: "GET_STARTED",
          referral: { ref: "ticket", source: "SHORTLINK", type: "OPEN_THREAD" },
        },
      }),
      item(user, { referral: { ref: "promo-tet", source: "SHORTLINK", type: "OPEN_THREAD" } }),
    ]),
  attachments: (user) =>
    delivery([
      item(user, {
        message: {
          mid: nextMid(),
          text: "ảnh lỗi đây ạ",
          attachments: [
            { type: "image", payload: { url: "https://cdn/like.png", sticker_id: 369239263222822 } },
            { type: "location", title: "Nhà", payload: { coordinates: { lat: 10.77, long: 106.7 } } },
            { type: "file", payload: { url: "https://cdn/sao-ke.pdf", title: "sao-ke.pdf" } },
          ],
        },
      }),
    ]),
  inbox_echo: (user) =>
    delivery([
      {
        sender: { id: PAGE },
        recipient: { id: user },
        timestamp: Date.now(),
        message: { is_echo: true, app_id: PAGE_INBOX, mid: nextMid(), text: "Chào bạn, mình là Lan" },
      },
    ]),
  standby: (user) => ({
    object: "page",
    entry: [{ id: PAGE, time: Date.now(), standby: [userMessage(user, "xin chào", { mid: nextMid() })] }],
  }),
};

describe("Messenger webhook", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());
  const answered = (user: string) => waitFor(() => r.sent(user).length > 0, 5000, `an answer to ${user}`);

  describe("any JSON shape", () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      it(`${name}: every field mutated → never a 5xx, and the bot still answers afterwards`, async () => {
        const failures: string[] = [];
        for (const m of mutations(make("0"))) {
          const res = await r.post(apply(make(nextUser()), m));
          if (![200, 400].includes(res.statusCode)) failures.push(`${m.label} → ${res.statusCode}`);
        }
        expect(failures).toEqual([]);
        await r.idle();
        expect(processingErrors(r.h.logs)).toEqual([]);
        expect([...r.h.logs, ...r.logs].join("")).not.toContain("ảnh lỗi");
        const user = nextUser();
        expect((await r.post(delivery([userMessage(user, "số hotline là gì")]))).statusCode).toBe(200);
        await answered(user);
        expect(JSON.stringify(r.sent(user)[0]?.body)).toContain("1900 6868");
      });
    }

    it("any JSON value as the whole body: 400 unless it is an object, then 200", async () => {
      for (const body of ["null", "123", '"x"', "true", "[]", "[{}]"])
        expect((await r.post(body)).statusCode).toBe(400);
      for (const body of [{}, { object: "page" }, { entry: null }, { object: "page", entry: [null, 1, "x", []] }])
        expect((await r.post(body)).statusCode).toBe(200);
    });
  });

  it("a field nested 200,000 levels deep → 200, and the message is still answered", async () => {
    const user = nextUser();
    const raw = JSON.stringify(delivery([userMessage(user, "số hotline là gì")]));
    expect((await r.post(`${raw.slice(0, -1)},"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}`)).statusCode).toBe(
      200,
    );
    await answered(user);
  });

  describe("events older than the dedupe window", () => {
    const staleLines = () => r.logs.filter((l) => l.includes("older than the dedupe window"));

    it("an old message is acknowledged, logged once without its words, and never answered", async () => {
      const user = nextUser();
      const before = staleLines().length;
      const old = delivery([userMessage(user, "số hotline là gì", { ts: Date.now() - DEDUPE_TTL_MS })]);
      expect(await r.post(old)).toEqual({ statusCode: 200, body: "EVENT_RECEIVED" });
      await r.idle();
      await sleep(200);
      expect(r.sent(user)).toHaveLength(0);
      expect(await r.h.hotro.backend.sessions.get(`messenger:${user}`)).toBeUndefined();
      const lines = staleLines().slice(before);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 30 });
      expect(lines[0]).not.toContain("hotline");
    });

    it("in one delivery, the old item is dropped and the fresh one answered", async () => {
      const [oldUser, freshUser] = [nextUser(), nextUser()];
      const body = delivery([
        userMessage(oldUser, "xin chào", { ts: Date.now() - MAX_EVENT_AGE_MS - 60_000 }),
        userMessage(freshUser, "xin chào"),
      ]);
      expect((await r.post(body)).statusCode).toBe(200);
      await answered(freshUser);
      await r.idle();
      expect(r.sent(oldUser)).toHaveLength(0);
    });

    it("a message just inside the window is processed once, its redelivery deduped; a week on, Meta's 24 h for an answer are long gone", async () => {
      const user = nextUser();
      const ts = Date.now() - MAX_EVENT_AGE_MS + 60_000;
      const body = delivery([userMessage(user, "xin chào", { ts })]);
      const before = staleLines().length;
      expect((await r.post(body)).statusCode).toBe(200);
      await r.idle();
      const session = await r.h.hotro.backend.sessions.get(`messenger:${user}`);
      expect(session?.processed).toBeDefined();
      // The window runs from when the user wrote, not from when the message was processed.
      expect(session?.lastUserAt).toBe(ts);
      expect((await r.post(body)).statusCode).toBe(200);
      await r.idle();
      await sleep(200);
      expect(
        r.h.logs.filter((l) => l.includes("duplicate delivery dropped") && l.includes(`messenger:${user}`)),
      ).toHaveLength(1);
      // The bot's answer is refused before Meta would refuse it (outside the 24-hour window).
      expect(r.sent(user)).toHaveLength(0);
      expect(staleLines()).toHaveLength(before);
    });
  });
});
