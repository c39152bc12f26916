import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness } from "../helpers/harness.js";

describe("what a user sends, before anything records it", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it("a message made only of invisible characters is empty: nothing is recorded or answered", async () => {
    const before = await h.hotro.backend.inbox.pending();
    await h.hotro.runtime.accept([
      {
        id: "cli:blank-1",
        channel: "cli",
        userId: "blank",
        timestamp: Date.now(),
        kind: "message",
        text: "\u200B\u200C\u200D\uFEFF\u00AD \u2060",
      },
    ]);
    expect(await h.hotro.backend.inbox.pending()).toBe(before);
    const db = (h.hotro.backend as unknown as { db: import("better-sqlite3").Database }).db;
    expect(db.prepare("SELECT count(*) AS n FROM dedupe WHERE key = 'cli:blank-1'").get()).toEqual({ n: 0 });
  });

  it("a postback payload a client made up is masked like text", async () => {
    await h.say("", { user: "pb", payload: "mật khẩu của mình là Zz19988x" });
    const db = (h.hotro.backend as unknown as { db: import("better-sqlite3").Database }).db;
    const dump = JSON.stringify(["kv", "inbox", "outbox", "dedupe"].map((t) => db.prepare(`SELECT * FROM ${t}`).all()));
    expect(dump).not.toContain("Zz19988x");
    expect(h.logs.join("")).not.toContain("Zz19988x");
  });
});
