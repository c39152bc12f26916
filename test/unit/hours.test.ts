import { describe, expect, it } from "vitest";
import { formatWeekly, isOpen, nextOpening } from "../../src/engine/hours.js";

const weekly = {
  mon: ["08:00-21:00"],
  tue: ["08:00-21:00"],
  wed: ["08:00-21:00"],
  thu: ["08:00-21:00"],
  fri: ["08:00-21:00"],
  sat: ["08:00-17:00"],
  sun: [],
};
const s = { weekly, timeZone: "Asia/Ho_Chi_Minh", holidays: ["2026-09-02"] };

describe("business hours", () => {
  it("uses the configured time zone, not UTC", () => {
    // 01:30 UTC on a Tuesday is 08:30 in Hanoi: open.
    expect(isOpen(new Date("2026-11-24T01:30:00Z"), s)).toBe(true);
    // 14:30 UTC is 21:30 in Hanoi: closed.
    expect(isOpen(new Date("2026-11-24T14:30:00Z"), s)).toBe(false);
  });

  it("finds the next opening across the weekend and holidays", () => {
    // Saturday 18:00 Hanoi → Monday 08:00 Hanoi.
    expect(nextOpening(new Date("2026-11-28T11:00:00Z"), s)?.toISOString()).toBe("2026-11-30T01:00:00.000Z");
    // National day (Wednesday 2 Sep) → Thursday 08:00.
    expect(nextOpening(new Date("2026-09-02T03:00:00Z"), s)?.toISOString()).toBe("2026-09-03T01:00:00.000Z");
  });

  it("groups days with the same hours", () => {
    expect(formatWeekly(weekly, ["T2", "T3", "T4", "T5", "T6", "T7", "CN"], "nghỉ")).toEqual([
      "T2–T6: 08:00–21:00",
      "T7: 08:00–17:00",
      "CN: nghỉ",
    ]);
  });
});
