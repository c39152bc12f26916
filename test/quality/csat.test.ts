import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "../../src/quality/sweep.js";
import { operatorApi } from "../../src/server/operator-api.js";
import type { Recorded } from "../helpers/fake-platform.js";
import { waitFor } from "../helpers/fake-platform.js";
import { delivery, type Rig, rig, userMessage } from "../messenger/setup.js";

/**
 * CSAT end to end through the real Messenger webhook and the local Graph API: a request a
 * person answered and closed gets one rating prompt (in the close message, 1–5 as quick
 * replies); "4" typed back is counted in GET /api/stats; a bot-only conversation, a request
 * no person wrote in, and one closed by the system get none; outside Meta's 24 h window the
 * prompt is skipped and counted.
 */

const TOKEN = "quality-api-token-0123456789";
const HOUR = 3_600_000;

type Sent = { message?: { text?: string; quick_replies?: { title: string; payload: string }[] } };
const body = (r: Recorded) => r.body as Sent;
const prompts = (r: Rig, u: string) =>
  r.sent(u).filter((q) => body(q).message?.quick_replies?.some((x) => x.payload === "csat:4"));

describe("CSAT through the Messenger webhook", () => {
  let r: Rig;
  const api = async (method: "GET" | "POST", url: string, payload?: object) => {
    const res = await r.h.hotro.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKEN}`, ...(payload ? { "content-type": "application/json" } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    return { status: res.statusCode, json: () => res.json(), text: res.body };
  };
  const requestOf = async (u: string) =>
    (await r.h.hotro.backend.requests.list({ conv: `messenger:${u}` })).find((x) => x.handoff);
  const say = async (u: string, text: string, ts?: number) => {
    expect((await r.post(delivery([userMessage(u, text, ts ? { ts } : {})]))).statusCode).toBe(200);
    await r.idle();
  };
  const handOff = async (u: string, ts?: number) => {
    await say(u, "cho mình gặp nhân viên", ts);
    const req = await requestOf(u);
    if (!req) throw new Error(`no request for ${u}`);
    return req;
  };
  const stats = async () => (await api("GET", "/api/stats")).json();

  beforeAll(async () => {
    r = await rig({ operators: true, plugins: [operatorApi], env: { OPERATOR_API_TOKEN: TOKEN } });
  });
  afterAll(() => r.close());

  it("operator closes → one prompt → the user's '4' and comment → the stats show it", async () => {
    const u = "csat-user-1";
    const req = await handOff(u);
    expect(
      (await api("POST", `/api/requests/${req.id}/reply`, { text: "Dạ em kiểm tra rồi ạ", operator: "Lan" })).status,
    ).toBe(202);
    await r.idle();
    expect((await api("POST", `/api/requests/${req.id}/close`, { operator: "Lan" })).status).toBe(202);
    await r.idle();
    expect(prompts(r, u)).toHaveLength(1);
    const prompt = body(prompts(r, u)[0] as Recorded).message;
    expect(prompt?.text).toContain(req.id);
    expect(prompt?.quick_replies?.map((q) => q.title)).toEqual(["1", "2", "3", "4", "5", "Bỏ qua"]);

    // Typed, not tapped: the numbered choice is the score.
    await say(u, "4");
    await say(u, "nhân viên nhiệt tình");
    const after = r.sent(u).map((q) => body(q).message?.text ?? "");
    expect(after.at(-1)).toMatch(/Cảm ơn bạn đã góp ý/);

    const s = await stats();
    expect(s.total.csat).toMatchObject({ average: 4, ratings: 1, asked: 1, skippedWindow: 0 });
    expect(s.total.csat.distribution).toEqual({ "1": 0, "2": 0, "3": 0, "4": 1, "5": 0 });
    expect(s.byChannel.find((c: { channel: string }) => c.channel === "messenger").csat.ratings).toBe(1);
    expect(s.total.handedOff).toBeGreaterThanOrEqual(1);
    // A 4 is not a low score: no notice to the leads.
    expect(r.h.ops.jobs.filter((j) => j.op === "lead")).toHaveLength(0);

    // Reopened and closed again: never a second prompt for the same request.
    await api("POST", `/api/requests/${req.id}/reopen`, { operator: "Lan" });
    await r.idle();
    await api("POST", `/api/requests/${req.id}/reply`, { text: "Em bổ sung thêm ạ", operator: "Lan" });
    await r.idle();
    await api("POST", `/api/requests/${req.id}/close`, { operator: "Lan" });
    await r.idle();
    expect(prompts(r, u)).toHaveLength(1);

    const csv = await api("GET", "/api/stats?format=csv");
    expect(csv.status).toBe(200);
    expect(csv.text.split("\n")[0]).toContain("csat_average");
  });

  it("a low score notifies the leads (console and the Telegram group)", async () => {
    const u = "csat-user-low";
    const req = await handOff(u);
    await api("POST", `/api/requests/${req.id}/reply`, { text: "Dạ", operator: "Lan" });
    await r.idle();
    await api("POST", `/api/requests/${req.id}/close`, { operator: "Lan" });
    await r.idle();
    await say(u, "1");
    await waitFor(() => r.h.ops.jobs.some((j) => j.op === "lead" && j.requestId === req.id), 5000, "lead notice");
    const notices = (await api("GET", "/api/notices")).json().notices;
    expect(
      notices.some((n: { type: string; requestId: string }) => n.type === "csat_low" && n.requestId === req.id),
    ).toBe(true);
    // Skipping the comment still ends the rating.
    await say(u, "bỏ qua");
    expect(r.sent(u).at(-1) && body(r.sent(u).at(-1) as Recorded).message?.text).toMatch(/Cảm ơn/);
  });

  it("no prompt for a bot-only conversation, a request no person wrote in, or a close by the system", async () => {
    const bot = "csat-bot-only";
    await say(bot, "số hotline là gì");
    expect(prompts(r, bot)).toHaveLength(0);

    const silent = "csat-no-person";
    const a = await handOff(silent);
    await api("POST", `/api/requests/${a.id}/close`, { operator: "Lan" });
    await r.idle();
    expect(prompts(r, silent)).toHaveLength(0);

    // Waiting on the user past auto_close_hours: the sweep closes it, and asks nothing.
    const auto = "csat-auto";
    const b = await handOff(auto);
    await api("POST", `/api/requests/${b.id}/reply`, { text: "Bạn gửi giúp em mã đơn nhé", operator: "Lan" });
    await r.idle();
    const hotro = r.h.hotro;
    const hours = hotro.content.config.quality.auto_close_hours;
    expect(hours).toBeGreaterThan(0);
    await sweep(
      {
        backend: hotro.backend,
        notices: hotro.notices,
        content: () => hotro.content,
        control: (c, e, k) => hotro.runtime.control(c, e, k),
      },
      Date.now() + (hours + 1) * HOUR,
    );
    await r.idle();
    expect((await hotro.backend.requests.get(b.id))?.status).toBe("resolved");
    expect((await hotro.backend.requests.get(b.id))?.closedBy).toBe("auto");
    expect(prompts(r, auto)).toHaveLength(0);
  });

  it("outside Meta's 24 h window the rating is skipped, and counted", async () => {
    const before = (await stats()).total.csat;
    const u = "csat-late";
    // The user last wrote 25 hours ago (a backlog): a person may still answer (HUMAN_AGENT), the bot may not.
    const req = await handOff(u, Date.now() - 25 * HOUR);
    await api("POST", `/api/requests/${req.id}/reply`, { text: "Xin lỗi đã để bạn chờ", operator: "Lan" });
    await r.idle();
    await api("POST", `/api/requests/${req.id}/close`, { operator: "Lan" });
    await r.idle();
    expect(prompts(r, u)).toHaveLength(0);
    const after = (await stats()).total.csat;
    expect(after.skippedWindow).toBe(before.skippedWindow + 1);
    expect(after.asked).toBe(before.asked);
  });
});
