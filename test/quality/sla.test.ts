import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Content } from "../../src/content/types.js";
import { businessMinutes, scheduleOf } from "../../src/engine/hours.js";
import type { RequestRecord } from "../../src/ports/requests.js";
import { slaClock, slaMet } from "../../src/quality/sla.js";
import { sweep } from "../../src/quality/sweep.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { shippedContent } from "../helpers/content.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";

/**
 * Promised times counted in business hours (config/hours.yaml: Mon–Fri 08:00–21:00, Sat
 * 08:00–17:00, Sunday and holidays closed; Asia/Ho_Chi_Minh), on a fixed clock: a request
 * that waits past its first-response target inside the hours breaches, one that waits
 * overnight outside them does not; the clock stops while the desk waits on the user.
 */

const MIN = 60_000;
/** Local Hanoi time (UTC+7) as an instant. */
const hanoi = (iso: string) => new Date(`${iso}+07:00`).getTime();

describe("business minutes", () => {
  const s = scheduleOf(shippedContent().config);
  it("count only opening hours, split shifts and holidays included", () => {
    expect(businessMinutes(hanoi("2026-11-24T10:00:00"), hanoi("2026-11-24T11:30:00"), s)).toBe(90);
    // 20:30 Tuesday to 08:30 Wednesday: 30 minutes before closing, 30 after opening.
    expect(businessMinutes(hanoi("2026-11-24T20:30:00"), hanoi("2026-11-25T08:30:00"), s)).toBe(60);
    // Saturday 16:00 to Monday 09:00: one hour on Saturday, none on Sunday, one on Monday.
    expect(businessMinutes(hanoi("2026-11-28T16:00:00"), hanoi("2026-11-30T09:00:00"), s)).toBe(120);
    // New Year's Day 2026 (a Thursday) is a holiday.
    expect(businessMinutes(hanoi("2026-01-01T08:00:00"), hanoi("2026-01-01T20:00:00"), s)).toBe(0);
    const split = { ...s, weekly: { ...s.weekly, tue: ["08:00-12:00", "13:30-17:30"] } };
    expect(businessMinutes(hanoi("2026-11-24T11:00:00"), hanoi("2026-11-24T14:00:00"), split)).toBe(90);
  });
});

describe("a request with a legal deadline (a person's request about their data)", () => {
  it("runs one clock in calendar time to its deadline, whatever the opening hours", () => {
    const config = shippedContent().config;
    const filed = hanoi("2026-11-28T16:00:00"); // Saturday afternoon: closed on Sunday
    const r: RequestRecord = {
      id: "HT-000900",
      conv: "zalo:1",
      channel: "zalo",
      userId: "1",
      intent: "privacy.erase",
      title: "Xóa dữ liệu",
      priority: "high",
      status: "open",
      fields: {},
      handoff: false,
      createdAt: filed,
      updatedAt: filed,
      dueAt: filed + 72 * 60 * MIN,
    };
    // Sunday counts: 24 of 72 hours gone, green; 60 hours, amber; 73, red.
    expect(slaClock(r, config, filed + 24 * 60 * MIN)).toMatchObject({ phase: "deadline", state: "green" });
    expect(slaClock(r, config, filed + 60 * 60 * MIN)).toMatchObject({ phase: "deadline", state: "amber" });
    expect(slaClock(r, config, filed + 73 * 60 * MIN)).toMatchObject({ phase: "deadline", state: "red" });
    expect(slaMet({ ...r, status: "resolved", resolvedAt: filed + 71 * 60 * MIN }, config)).toBe(true);
    expect(slaMet({ ...r, status: "resolved", resolvedAt: filed + 73 * 60 * MIN }, config)).toBe(false);
  });
});

describe("SLA clocks on a fixed clock, through the app", () => {
  let h: Harness;
  let now = hanoi("2026-11-24T10:00:00");
  let content: Content;
  const TOKEN = "sla-token-0123456789";
  const api = async (url: string) =>
    (await h.hotro.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${TOKEN}` } })).json();
  const tick = () => sweep({ backend: h.hotro.backend, notices: h.hotro.notices, content: () => h.hotro.content }, now);
  const handOff = async (user: string) => {
    await h.say("cho mình gặp nhân viên", { user });
    const r = (await h.hotro.backend.requests.list({ conv: `cli:${user}` })).find((x) => x.handoff);
    if (!r) throw new Error("no request");
    return r;
  };

  beforeAll(async () => {
    h = await harness({
      operators: true,
      now: () => new Date(now),
      plugins: [operatorApi],
      env: { OPERATOR_API_TOKEN: TOKEN },
    });
    content = h.hotro.content;
  });
  afterAll(() => h.close());

  it("waiting past the first-response target during business hours breaches; overnight outside hours does not", async () => {
    const target = content.config.sla.targets.normal.first_response_minutes;
    // 10:00 Tuesday: inside hours.
    now = hanoi("2026-11-24T10:00:00");
    const day = await handOff("sla-day");
    expect(day.priority).toBe("normal");
    // 20:50 Tuesday: ten minutes before closing.
    now = hanoi("2026-11-24T20:50:00");
    const night = await handOff("sla-night");

    // Wednesday 08:00, opening time: the night request has waited 10 business minutes only.
    now = hanoi("2026-11-25T08:00:00");
    let r = await tick();
    expect(r.breached).toContain(day.id);
    expect(r.breached).not.toContain(night.id);
    const nightRec = await h.hotro.backend.requests.get(night.id);
    if (!nightRec) throw new Error("no night request");
    expect(slaClock(nightRec, content.config, now)).toMatchObject({
      phase: "first_response",
      elapsed: 10,
      target,
      state: "green",
    });
    // Said once: the next sweep finds nothing new.
    r = await tick();
    expect(r.breached).toEqual([]);
    const notices = (await api("/api/notices")).notices;
    expect(
      notices.filter((n: { type: string }) => n.type === "sla_breach").map((n: { requestId: string }) => n.requestId),
    ).toEqual([day.id]);
    await waitFor(() => h.ops.jobs.some((j) => j.op === "lead"), 5000, "the group is told");
    expect(h.ops.jobs.filter((j) => j.op === "lead" && j.requestId).map((j) => j.requestId)).toEqual([day.id]);
    // Past Monday 08:00 the week before's digest went out too, once, to the group itself.
    expect(notices.filter((n: { type: string }) => n.type === "digest")).toHaveLength(1);
    expect(h.ops.jobs.filter((j) => j.op === "lead" && !j.requestId)).toHaveLength(1);

    // 08:00 + 80% of the target: the night request is amber and the leads are warned.
    now = hanoi("2026-11-25T08:00:00") + (target * 0.8 - 10 + 1) * MIN;
    r = await tick();
    expect(r.warned).toEqual([night.id]);

    // The console lists clocks and sorts by them: the breached request first.
    const list = await api("/api/requests?queue=open&sort=sla");
    const shown = list.requests.map((x: { id: string; sla?: { state: string } }) => [x.id, x.sla?.state]);
    expect(shown.slice(0, 2)).toEqual([
      [day.id, "red"],
      [night.id, "amber"],
    ]);
  });

  it("paused while the desk waits on the user", async () => {
    now = hanoi("2026-11-26T09:00:00");
    const req = await handOff("sla-pause");
    now += 10 * MIN;
    await h.hotro.desk.actions.reply(req.id, "Bạn gửi giúp mình mã đơn nhé", { name: "lan", displayName: "Lan" });
    await new Promise((res) => setTimeout(res, 200));
    const answered = await h.hotro.backend.requests.get(req.id);
    expect(answered?.firstResponseAt).toBe(now);
    // 50 business minutes later the user answers: those minutes do not count.
    now += 50 * MIN;
    await h.say("mã đơn DH-1234", { user: "sla-pause" });
    const back = await h.hotro.backend.requests.get(req.id);
    if (!back) throw new Error("no request");
    expect(back?.pausedMinutes).toBe(50);
    expect(back?.awaitingSince).toBe(now);
    now += 5 * MIN;
    const c = slaClock(back, content.config, now);
    expect(c?.paused).toBe(false);
    // The next answer has been owed for 5 minutes (the nearest clock to its target); the
    // resolution clock counts 10 + 5, not the 50 spent waiting on the user.
    expect(c).toMatchObject({ phase: "next_response", elapsed: 5, state: "green" });
    const resolution = slaClock({ ...back, awaitingSince: 0, firstResponseAt: now }, content.config, now);
    expect(resolution).toMatchObject({ phase: "resolution", elapsed: 15 });
  });

  it("complaint.waiting gives the real figures", async () => {
    now = hanoi("2026-11-27T08:00:00");
    await handOff("sla-complain");
    // Past the hand-off's quiet time (limits.human_idle_minutes), so the bot answers again.
    now += 75 * MIN;
    const out = await h.say("chờ mãi không ai trả lời", { user: "sla-complain" });
    const text = out.map((m) => m.text).join("\n");
    expect(text).toContain("75 phút");
    expect(text).toContain(`${content.config.sla.targets.normal.first_response_minutes} phút`);
  });
});
