import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { zaloTime } from "../../adapters/zalo/inbound.js";
import { DEDUPE_TTL_MS, MAX_EVENT_AGE_MS } from "../../src/queue/dedupe.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { apply, mutations, processingErrors } from "../helpers/mutate.js";
import {
  ADMIN,
  APP_ID,
  ENV_REFRESH,
  embeddedDeps,
  FakeZalo,
  channel as makeChannel,
  memoryLog,
  msgId,
  OA_ID,
  sign,
  signed,
  userAttachment,
  userText,
} from "../zalo/fake-zalo.js";

let n = 0;
/** A user id of its own (19 digits) for every mutant and every test. */
const nextUser = () => `24684588352919${String(60000 + ++n)}`;

/** The documented event shapes the Zalo tests use (test/zalo), each with a fresh user and msg_id. */
const FIXTURES: Record<string, (user: string) => Record<string, unknown>> = {
  text: (user) => userText("xin chào", user),
  image: (user) =>
    userAttachment(user, "user_send_image", {
      type: "image",
      payload: { thumbnail: "https://photo.talk.zdn.vn/t.jpg", url: "https://photo.talk.zdn.vn/a.jpg" },
    }),
  sticker: (user) =>
    userAttachment(user, "user_send_sticker", { type: "sticker", payload: { id: "c3b3c0a1", url: "u" } }),
  file: (user) =>
    userAttachment(user, "user_send_file", {
      type: "file",
      payload: { url: "https://f/sao-ke.pdf", name: "sao-ke.pdf", size: "20480", type: "pdf" },
    }),
  location: (user) =>
    userAttachment(user, "user_send_location", {
      type: "location",
      payload: { coordinates: { latitude: "10.7769", longitude: "106.7009" } },
    }),
  business_card: (user) =>
    userAttachment(user, "user_send_business_card", {
      type: "business_card",
      payload: { url: "https://c/qr.jpg", description: '{"phone":"0901234567","qrCodeUrl":"https://c/qr.jpg"}' },
    }),
  follow: (user) => ({
    oa_id: OA_ID,
    follower: { id: user },
    event_name: "follow",
    source: "oa_profile",
    user_id_by_app: "5521772797175877301",
  }),
  submit_info: (user) => ({
    oa_id: OA_ID,
    event_name: "user_submit_info",
    sender: { id: user },
    recipient: { id: OA_ID },
    info: { name: "Nguyễn Văn A", phone: "84901234567", city: "TP HCM" },
  }),
  admin_echo: (user) => ({
    event_name: "oa_send_text",
    sender: { id: OA_ID, admin_id: ADMIN },
    recipient: { id: user },
    message: { text: "Dạ em là nhân viên", msg_id: msgId() },
  }),
};

describe("Zalo webhook", () => {
  let z: FakeZalo;
  let h: Harness;
  let deps: ReturnType<typeof embeddedDeps>;
  let adapterLog: string[];

  beforeAll(async () => {
    z = await new FakeZalo().start();
  });
  afterAll(() => z.stop());
  beforeEach(async () => {
    const { log, lines } = memoryLog();
    adapterLog = lines;
    deps = embeddedDeps(log);
    z.validRefresh.add(ENV_REFRESH);
    h = await harness({ channels: [makeChannel(z, deps)] });
  });
  afterEach(async () => {
    await h.close();
    await deps.close();
  });

  /** POST exactly `body`, signed over its own app_id and timestamp, whatever they are. */
  const post = (body: unknown) => {
    const payload = JSON.stringify(body);
    return h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/zalo",
      payload,
      headers: { "content-type": "application/json", "x-zevent-signature": sign(payload) },
    });
  };
  const idle = async () => {
    const b = h.hotro.backend;
    await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 20_000, "idle");
  };
  const answered = (user: string) => waitFor(() => z.sends(user).length > 0, 5000, `an answer to ${user}`);

  describe("any JSON shape", () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      it(`${name}: every field mutated → never a 5xx, and the bot still answers afterwards`, async () => {
        const envelope = (user: string) => ({ app_id: APP_ID, timestamp: String(Date.now()), ...make(user) });
        const failures: string[] = [];
        for (const m of mutations(envelope("0"))) {
          const res = await post(apply(envelope(nextUser()), m));
          // 401 where the mutant's app_id or timestamp no longer signs (the signature needs both).
          if (res.statusCode >= 500) failures.push(`${m.label} → ${res.statusCode}`);
        }
        expect(failures).toEqual([]);
        await idle();
        expect(processingErrors(h.logs)).toEqual([]);
        expect([...h.logs, ...adapterLog].join("")).not.toContain("ảnh lỗi");
        const user = nextUser();
        const ok = signed(userText("số hotline là gì", user));
        expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", ...ok })).statusCode).toBe(200);
        await answered(user);
        expect(JSON.stringify(z.sends(user)[0]?.body)).toContain("1900 6868");
      });
    }

    it("message.attachments not an array, or holding null → 200, no processing error", async () => {
      for (const attachments of [null, {}, "x", 7, [null], [null, { type: "image" }], [[]]]) {
        const user = nextUser();
        const body = userAttachment(user, "user_send_image", { type: "image" });
        (body.message as Record<string, unknown>).attachments = attachments;
        const s = signed(body);
        expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", ...s })).statusCode).toBe(200);
      }
      await idle();
      expect(processingErrors(h.logs)).toEqual([]);
    });
  });

  it("a field nested 200,000 levels deep → 200, and the message is still answered", async () => {
    const user = nextUser();
    const body = JSON.stringify({
      app_id: APP_ID,
      timestamp: String(Date.now()),
      ...userText("số hotline là gì", user),
    });
    const payload = `${body.slice(0, -1)},"x":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/zalo",
      payload,
      headers: { "content-type": "application/json", "x-zevent-signature": sign(payload) },
    });
    expect(res.statusCode).toBe(200);
    await answered(user);
  });

  describe("events older than the dedupe window", () => {
    it("an old event is acknowledged, logged once without its words, and never answered", async () => {
      const user = nextUser();
      const old = signed({ ...userText("số hotline là gì", user), timestamp: String(Date.now() - DEDUPE_TTL_MS) });
      expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", ...old })).statusCode).toBe(200);
      await idle();
      await new Promise((r) => setTimeout(r, 200));
      expect(z.sends(user)).toHaveLength(0);
      expect(await h.hotro.backend.sessions.get(`zalo:${user}`)).toBeUndefined();
      const lines = adapterLog.filter((l) => l.includes("older than the dedupe window"));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 30 });
      expect(lines[0]).not.toContain("hotline");
    });

    it("an event just inside the window is answered, and its redelivery is still deduped", async () => {
      const user = nextUser();
      const at = Date.now() - MAX_EVENT_AGE_MS + 60_000;
      const s = signed({ ...userText("số hotline là gì", user), timestamp: String(at) });
      expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", ...s })).statusCode).toBe(200);
      await answered(user);
      expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", ...s })).statusCode).toBe(200);
      await idle();
      await new Promise((r) => setTimeout(r, 200));
      expect(z.sends(user)).toHaveLength(1);
      expect(adapterLog.filter((l) => l.includes("older than the dedupe window"))).toHaveLength(0);
    });

    it("reads the timestamp as Zalo sends it (ms, a string), seconds as seconds, anything else as absent", () => {
      expect(zaloTime({ timestamp: "1700000000123" })).toBe(1700000000123);
      expect(zaloTime({ timestamp: 1700000000123 })).toBe(1700000000123);
      expect(zaloTime({ timestamp: "1700000000" })).toBe(1700000000000);
      for (const timestamp of ["", "x", "-5", "0", null, {}, [], true, undefined])
        expect(zaloTime({ timestamp })).toBeUndefined();
    });

    it("a fresh event is answered", async () => {
      const user = nextUser();
      const s = signed(userText("số hotline là gì", user));
      expect((await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", ...s })).statusCode).toBe(200);
      await answered(user);
    });
  });
});
