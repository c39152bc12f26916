import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EscalationRules } from "../../src/engine/escalation.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { shippedContent } from "../helpers/content.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness, textOf } from "../helpers/harness.js";

const TUESDAY_10H = new Date("2026-11-24T03:00:00Z"); // 10:00 in Hanoi, inside hours
const TUESDAY_23H = new Date("2026-11-24T16:00:00Z"); // 23:00 in Hanoi, closed

describe("escalation rules, as data", () => {
  const { rules, word_lists } = shippedContent().config.escalation;
  const r = new EscalationRules(rules, word_lists);
  const base = { fallbackStreak: 0, formFailures: 0, waitedPastResponseTime: false };

  it("treats the urgent intents as urgent and collects their form first", () => {
    for (const intent of ["account.locked", "transaction.delayed", "system.incident"]) {
      expect(r.evaluate({ ...base, intent })).toMatchObject({ priority: "urgent", collectForm: true });
    }
  });
  it("escalates an explicit request for a person at once", () => {
    expect(r.evaluate({ ...base, intent: "handoff.human" })).toMatchObject({
      rule: "ask_for_person",
      collectForm: false,
    });
  });
  it("escalates after two fallbacks in a row, or two failed forms", () => {
    expect(r.evaluate({ ...base, fallbackStreak: 1 })).toBeUndefined();
    expect(r.evaluate({ ...base, fallbackStreak: 2 })?.rule).toBe("repeated_fallback");
    expect(r.evaluate({ ...base, formFailures: 2 })?.rule).toBe("form_failed");
  });
  it("hears fraud and anger in both languages, with or without diacritics", () => {
    for (const text of ["tôi bị lừa đảo mất tiền", "toi bi lua dao", "this is a scam", "I got scammed"]) {
      expect(r.evaluate({ ...base, text })?.priority, text).toBe("urgent");
    }
    for (const text of ["bực mình quá", "dich vu qua te", "this is ridiculous"]) {
      expect(r.evaluate({ ...base, text })?.rule, text).toBe("angry_words");
    }
    expect(r.evaluate({ ...base, text: "có sự kiện gì không" })).toBeUndefined();
  });
  it("raises a complaint's priority only past the response time", () => {
    expect(r.evaluate({ ...base, intent: "complaint.waiting" })).toBeUndefined();
    expect(r.evaluate({ ...base, intent: "complaint.waiting", waitedPastResponseTime: true })).toMatchObject({
      priority: "high",
    });
  });
  it("lets the first matching rule win", () => {
    // Both "urgent intent" and "angry words": the urgent rule comes first.
    expect(r.evaluate({ ...base, intent: "account.locked", text: "bực mình quá" })?.rule).toBe("urgent_intent");
  });
});

describe("requests", () => {
  it("keeps one open request per user and problem, attaching what is new", async () => {
    // Without operators the bot keeps talking (with them, the user's words go to the person).
    const h = await harness({ now: () => TUESDAY_10H });
    try {
      await h.say("tk mình bị khóa rồi", { user: "p" });
      await h.say("minh_99", { user: "p" });
      expect(textOf(await h.say("hôm qua", { user: "p" }))).toContain("HT-000001");
      const second = textOf(await h.say("sao tài khoản của mình vẫn bị khóa", { user: "p" }));
      expect(second).toContain("HT-000001");
      const third = textOf(await h.say("acc bị khoá sáng nay lại bị khóa tiếp", { user: "p" }));
      expect(third).toContain("HT-000001");
      const all = await h.hotro.backend.requests.list({ conv: "cli:p" });
      expect(all).toHaveLength(1);
      const transcript = await h.hotro.backend.requests.transcript("HT-000001");
      expect(transcript.map((l) => l.text)).toEqual(
        expect.arrayContaining(["sao tài khoản của mình vẫn bị khóa", "acc bị khoá sáng nay lại bị khóa tiếp"]),
      );
    } finally {
      await h.close();
    }
  });

  it("answers ticket.status from the user's own requests only", async () => {
    const h = await harness({ now: () => TUESDAY_10H });
    try {
      await h.say("mình muốn gửi yêu cầu hỗ trợ", { user: "a" });
      for (const t of ["user_a", "nạp tiền không vào tài khoản", "hôm qua", "bỏ qua"]) await h.say(t, { user: "a" });
      expect(textOf(await h.say("yêu cầu HT-000001 sao rồi", { user: "a" }))).toContain("HT-000001");
      const other = textOf(await h.say("yêu cầu HT-000001 sao rồi", { user: "b" }));
      expect(other).not.toContain("Nạp tiền");
      expect(other).toMatch(/không nằm trong|not one of/i);
      expect(textOf(await h.say("kiểm tra yêu cầu của mình", { user: "b" }))).not.toContain("HT-000001");
    } finally {
      await h.close();
    }
  });

  it("tells the user when a person will answer outside hours, and still reaches operators", async () => {
    const h = await harness({ operators: true, now: () => TUESDAY_23H });
    try {
      const reply = textOf(await h.say("cho mình gặp nhân viên", { user: "night" }));
      expect(reply).toContain("HT-000001");
      expect(reply).toContain("08:00"); // the next opening, Wednesday 08:00 in Hanoi
      // The stored session knows the request by the id the store gave it, its transcript too.
      const session = await h.hotro.backend.sessions.get("cli:night");
      expect(session?.openRequestId).toBe("HT-000001");
      expect(session?.requests.map((r) => r.id)).toEqual(["HT-000001"]);
      const told = session?.recent.filter((l) => l.from === "bot").map((l) => l.text) ?? [];
      expect(told.at(-1)).toContain("HT-000001");
      expect(told.join("\n")).not.toMatch(/\{request_id\}|\$new/);
      await waitFor(() => h.ops.jobs.some((j) => j.op === "post" && j.requestId === "HT-000001"));
      // Urgent: a person is asked at once, whatever the hour.
      for (const t of ["tài khoản bị khóa", "minh_night", "tối nay"]) await h.say(t, { user: "urgent" });
      await waitFor(() => h.ops.jobs.some((j) => j.op === "post" && j.requestId === "HT-000002"));
      expect((await h.hotro.backend.requests.get("HT-000002"))?.priority).toBe("urgent");
    } finally {
      await h.close();
    }
  });

  it("goes quiet in human mode and comes back after the idle time, the request left open", async () => {
    let now = TUESDAY_10H;
    const h = await harness({ operators: true, now: () => now });
    try {
      await h.say("gặp nhân viên", { user: "idle" });
      expect(await h.say("alo?", { user: "idle" })).toEqual([]);
      now = new Date(TUESDAY_10H.getTime() + 61 * 60_000); // past human_idle_minutes (60)
      expect(textOf(await h.say("số hotline là gì", { user: "idle" }))).toContain("1900 6868");
      expect((await h.hotro.backend.requests.get("HT-000001"))?.status).toBe("open");
    } finally {
      await h.close();
    }
  });
});

describe("operator HTTP API", () => {
  const TOKEN = "op-api-token-0123456789";
  let h: Harness;
  beforeAll(async () => {
    h = await harness({
      operators: true,
      now: () => TUESDAY_10H,
      plugins: [operatorApi],
      env: { OPERATOR_API_TOKEN: TOKEN },
    });
    await h.say("cho mình gặp nhân viên", { user: "api" });
  });
  afterAll(() => h.close());
  const call = (method: "GET" | "POST", url: string, body?: unknown, token: string | null = TOKEN) =>
    h.hotro.app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });

  it("refuses a missing or wrong token with 401", async () => {
    expect((await call("GET", "/api/requests", undefined, null)).statusCode).toBe(401);
    expect((await call("GET", "/api/requests", undefined, "wrong-token-0123456789")).statusCode).toBe(401);
  });

  it("lists requests with filters and shows one with its transcript", async () => {
    const list = await call("GET", "/api/requests?status=open&channel=cli");
    expect(list.statusCode).toBe(200);
    expect(list.json().requests.map((r: { id: string }) => r.id)).toEqual(["HT-000001"]);
    expect((await call("GET", "/api/requests?priority=urgent")).json().requests).toEqual([]);
    expect((await call("GET", "/api/requests?status=nonsense")).statusCode).toBe(400);
    const one = await call("GET", "/api/requests/HT-000001");
    expect(one.json().transcript.some((l: { text: string }) => l.text.includes("gặp nhân viên"))).toBe(true);
    expect((await call("GET", "/api/requests/HT-999999")).statusCode).toBe(404);
  });

  it("replies to the user and closes the request", async () => {
    expect(
      (await call("POST", "/api/requests/HT-000001/reply", { text: "Chào bạn, mình là Hà.", operator: "Hà" }))
        .statusCode,
    ).toBe(202);
    await waitFor(() =>
      h.cli.sent.some((j) => j.message.text === "Chào bạn, mình là Hà." && j.message.from?.kind === "operator"),
    );
    expect((await h.hotro.backend.requests.get("HT-000001"))?.status).toBe("in_progress");
    expect((await call("POST", "/api/requests/HT-000001/close", { operator: "Hà" })).statusCode).toBe(202);
    await waitFor(async () => (await h.hotro.backend.requests.get("HT-000001"))?.status === "resolved");
    expect((await call("POST", "/api/requests/HT-000001/reply", { text: "x" })).statusCode).toBe(409);
  });
});
