import { expect } from "vitest";
import type { Backend } from "../../src/ports/backend.js";
import type { ChannelId } from "../../src/ports/message.js";
import type { QualityEvent } from "../../src/ports/quality.js";
import { statsFor } from "../../src/quality/report.js";
import { shippedContent } from "../helpers/content.js";

/** Local Hanoi time (UTC+7) as an instant. */
const hanoi = (iso: string) => new Date(`${iso}+07:00`).getTime();

/** The quality log: once per key, by kind and time range, oldest first. */
export async function qualityLog(b: Backend): Promise<void> {
  const e = (key: string, at: number, kind: QualityEvent["kind"] = "gap"): QualityEvent => ({
    key,
    kind,
    at,
    channel: "zalo",
    data: { text: key, tokens: [key] },
  });
  expect(await b.quality.record(e("b", 200))).toBe(true);
  expect(await b.quality.record(e("a", 100))).toBe(true);
  expect(await b.quality.record({ ...e("a", 150), data: { text: "changed" } })).toBe(false);
  expect(await b.quality.record(e("c", 300))).toBe(true);
  expect(await b.quality.record(e("n", 150, "notice"))).toBe(true);
  const got = await b.quality.between("gap", 100, 300);
  expect(got.map((x) => [x.key, x.at, x.data.text])).toEqual([
    ["a", 100, "a"],
    ["b", 200, "b"],
  ]);
  expect((await b.quality.between("notice", 0, 1000)).map((x) => x.key)).toEqual(["n"]);
  expect(await b.quality.between("csat", 0, 1000)).toEqual([]);
}

/**
 * The same facts give the same figures on every backend (README "Quality: definitions").
 * Three hand-offs on two days, one conversation the bot handled alone, two ratings and one
 * skipped outside the window, four content gaps of two questions.
 */
export async function qualityStats(b: Backend): Promise<void> {
  const config = shippedContent().config;
  const handoff = async (conv: string, created: string, first: string, resolved: string, paused = 0) => {
    const [channel, userId] = conv.split(":") as [ChannelId, string];
    const r = await b.requests.create(
      {
        conv,
        channel,
        userId,
        draft: { intent: "handoff.human", title: "Gặp nhân viên", priority: "normal", fields: {}, transcript: [] },
        handoff: true,
        idempotencyKey: `stats:${conv}:${created}`,
      },
      hanoi(created),
    );
    await b.requests.update(
      r.id,
      {
        firstResponseAt: hanoi(first),
        resolvedAt: hanoi(resolved),
        status: "resolved",
        closedBy: "person",
        pausedMinutes: paused,
      },
      hanoi(resolved),
    );
    return r.id;
  };
  // First response 20, resolution 120 - 30 paused = 90: within the promise.
  await handoff("messenger:c1", "2026-11-24T10:00:00", "2026-11-24T10:20:00", "2026-11-24T12:00:00", 30);
  // Filed ten minutes before closing: 10 + 30 business minutes to the first answer, 70 to resolve.
  await handoff("zalo:c2", "2026-11-24T20:50:00", "2026-11-25T08:30:00", "2026-11-25T09:00:00");
  // 120 minutes to the first answer: past the normal priority's 60.
  await handoff("messenger:c3", "2026-11-25T10:00:00", "2026-11-25T12:00:00", "2026-11-25T13:00:00");
  // A request created outside the range is not counted.
  await handoff("messenger:c9", "2026-11-20T10:00:00", "2026-11-20T10:05:00", "2026-11-20T10:10:00");

  const event = (kind: QualityEvent["kind"], key: string, channel: ChannelId, at: string, data: object) =>
    b.quality.record({ key, kind, channel, at: hanoi(at), conv: `${channel}:${key}`, data: { ...data } });
  const conversation = (conv: string, at: string, intent: string) =>
    b.quality.record({
      key: `conv:${conv}|${at.slice(0, 10)}`,
      kind: "conversation",
      channel: conv.split(":")[0] as ChannelId,
      conv,
      at: hanoi(at),
      data: { day: at.slice(0, 10), intent },
    });
  await conversation("messenger:c1", "2026-11-24T09:59:00", "handoff.human");
  await conversation("zalo:c2", "2026-11-24T20:49:00", "handoff.human");
  await conversation("messenger:c3", "2026-11-25T09:59:00", "handoff.human");
  await conversation("telegram:c4", "2026-11-25T11:00:00", "contact.hotline");
  // The same conversation the same day is one (the runtime writes it once; a replay is ignored).
  await conversation("messenger:c1", "2026-11-24T09:59:00", "greeting");
  await event("csat", "csat:1", "messenger", "2026-11-24T12:00:00", { outcome: "asked" });
  await event("csat", "csat:1:score", "messenger", "2026-11-24T12:01:00", { outcome: "rated", score: 4 });
  await event("csat", "csat:2", "zalo", "2026-11-25T09:00:00", { outcome: "asked" });
  await event("csat", "csat:2:score", "zalo", "2026-11-25T09:02:00", { outcome: "rated", score: 2 });
  await event("csat", "csat:3", "messenger", "2026-11-25T13:00:00", { outcome: "skipped_window" });
  const gap = (key: string, at: string, text: string, tokens: string[]) =>
    event("gap", key, "zalo", at, { text, tokens, zone: "fallback" });
  await gap("g1", "2026-11-24T11:00:00", "shop co tra gop khong", ["co", "gop", "khong", "shop", "tra"]);
  await gap("g2", "2026-11-24T11:05:00", "shop có trả góp ko", ["co", "gop", "khong", "shop", "tra"]);
  await gap("g3", "2026-11-25T11:00:00", "shop có trả góp không", ["co", "gop", "khong", "shop", "tra"]);
  await gap("g4", "2026-11-25T11:10:00", "đổi tên cửa hàng", ["cua", "doi", "hang", "ten"]);

  const s = await statsFor(b, config, "2026-11-24", "2026-11-25");
  expect(s.total).toEqual({
    // c1, c2 (24th), c3, c4 (25th); c4 was handled by the bot alone.
    conversations: 4,
    contained: 1,
    handedOff: 3,
    firstResponse: { median: 40, p90: 120, count: 3 },
    resolution: { median: 90, p90: 180, count: 3 },
    sla: { met: 2, total: 3, share: 0.667 },
    csat: {
      average: 3,
      ratings: 2,
      distribution: { "1": 0, "2": 1, "3": 0, "4": 1, "5": 0 },
      asked: 2,
      skippedWindow: 1,
      declined: 0,
    },
  });
  expect(s.byDay.map((d) => [d.day, d.conversations, d.handedOff, d.csat.ratings])).toEqual([
    ["2026-11-24", 2, 2, 1],
    ["2026-11-25", 2, 1, 1],
  ]);
  expect(s.byWeek.map((w) => [w.week, w.conversations])).toEqual([["2026-11-23", 4]]);
  expect(s.byChannel.map((c) => [c.channel, c.conversations, c.contained, c.sla.met, c.csat.average])).toEqual([
    ["messenger", 2, 0, 1, 4],
    ["telegram", 1, 1, 0, null],
    ["zalo", 1, 0, 1, 2],
  ]);
  expect(s.topIntents[0]).toEqual({ intent: "handoff.human", count: 6 });
  expect(s.topGaps.map((g) => [g.count, g.text])).toEqual([
    [3, "shop co tra gop khong"],
    [1, "đổi tên cửa hàng"],
  ]);
}

/**
 * A person's part of the log: found for an export, taken out on erasure (their questions and
 * the notices about their requests deleted; conversations and ratings kept for the figures,
 * naming nobody, without the comment), and the same for everything older than a retention.
 */
export async function qualityForget(b: Backend): Promise<void> {
  const conv = "zalo:u-forget";
  const facts: QualityEvent[] = [
    {
      key: `conv:${conv}|2026-11-24`,
      kind: "conversation",
      at: 100,
      channel: "zalo",
      conv,
      data: { day: "2026-11-24" },
    },
    { key: "gap:k1", kind: "gap", at: 110, channel: "zalo", conv, data: { text: "chuyen tien cho Minh 0901234567" } },
    {
      key: "csat:HT-000777:score",
      kind: "csat",
      at: 120,
      channel: "zalo",
      requestId: "HT-000777",
      data: { outcome: "rated", score: 2 },
    },
    {
      key: "csat:HT-000777:comment",
      kind: "csat",
      at: 130,
      channel: "zalo",
      requestId: "HT-000777",
      data: { outcome: "commented", comment: "nhân viên Lan chậm quá" },
    },
    {
      key: "notice:low:HT-000777",
      kind: "notice",
      at: 140,
      channel: "zalo",
      requestId: "HT-000777",
      data: { text: "HT-000777: 2/5 nhân viên Lan chậm quá" },
    },
    // Someone else's, and an old fact of a third person.
    {
      key: "conv:zalo:other|2026-11-24",
      kind: "conversation",
      at: 150,
      channel: "zalo",
      conv: "zalo:other",
      data: { day: "2026-11-24" },
    },
    { key: "gap:old", kind: "gap", at: 5, channel: "messenger", conv: "messenger:old", data: { text: "old question" } },
  ];
  for (const f of facts) await b.quality.record(f);

  const mine = await b.quality.ofPerson(conv, ["HT-000777"]);
  expect(mine.map((e) => e.key)).toEqual(facts.slice(0, 5).map((f) => f.key));

  expect(await b.quality.forget(conv, ["HT-000777"])).toBe(4);
  expect(await b.quality.ofPerson(conv, [])).toEqual([]);
  const all = [
    ...(await b.quality.between("conversation", 0, 1000)),
    ...(await b.quality.between("csat", 0, 1000)),
    ...(await b.quality.between("gap", 0, 1000)),
    ...(await b.quality.between("notice", 0, 1000)),
  ];
  const text = JSON.stringify(all);
  for (const gone of ["u-forget", "0901234567", "chậm quá", "Minh"]) expect(text).not.toContain(gone);
  // The figures keep what they count: two conversations that day, one rating of 2.
  expect((await b.quality.between("conversation", 0, 1000)).length).toBe(2);
  expect((await b.quality.between("csat", 0, 1000)).map((e) => e.data.score ?? e.data.outcome)).toEqual([
    2,
    "commented",
  ]);
  expect(await b.quality.between("notice", 0, 1000)).toEqual([]);
  // Forgetting twice changes nothing more.
  expect(await b.quality.forget(conv, ["HT-000777"])).toBe(0);

  // Retention: what is older than 100 loses its person too; the rest stays as it was.
  expect(await b.quality.forgetBefore(100)).toBe(1);
  expect((await b.quality.between("gap", 0, 1000)).map((e) => e.key)).toEqual([]);
  expect((await b.quality.between("conversation", 0, 1000)).some((e) => e.conv === "zalo:other")).toBe(true);
}
