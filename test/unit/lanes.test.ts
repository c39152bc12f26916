import { describe, expect, it } from "vitest";
import { groupOfKey, Lanes, outboxGroups } from "../../src/queue/lanes.js";

describe("Lanes with per-group budgets", () => {
  it("lanes stuck on one platform hold only that platform's share; other groups keep moving", async () => {
    const release: (() => void)[] = [];
    const done: string[] = [];
    const lanes = new Lanes(
      async (key) => {
        if (done.includes(key)) return false;
        if (key.startsWith("telegram:")) await new Promise<void>((r) => release.push(r));
        done.push(key);
        return true;
      },
      6,
      outboxGroups({ per_channel: 3, operators: 2 }),
    );
    for (let i = 0; i < 20; i++) lanes.kick(`telegram:${i}`);
    for (let i = 0; i < 5; i++) lanes.kick(`messenger:${i}`);
    lanes.kick("ops:HT-000001");
    await new Promise((r) => setTimeout(r, 20));
    // Three Telegram lanes wait on the platform; every Messenger lane and the operators' post went through.
    expect(release).toHaveLength(3);
    expect(done.filter((k) => k.startsWith("messenger:"))).toHaveLength(5);
    expect(done).toContain("ops:HT-000001");
    while (done.filter((k) => k.startsWith("telegram:")).length < 20) {
      for (const r of release.splice(0)) r();
      await new Promise((r) => setTimeout(r, 1));
    }
    await lanes.stop();
  });

  it("groups lane keys by their channel", () => {
    expect(groupOfKey("telegram:123")).toBe("telegram");
    expect(groupOfKey("ops:HT-000001")).toBe("ops");
    expect(groupOfKey("webchat:v-1:x")).toBe("webchat");
  });
});
