import { describe, expect, it } from "vitest";
import { WriteBatch } from "../../src/store/sqlite/batch.js";
import { openDb } from "../../src/store/sqlite/db.js";

describe("group commit", () => {
  it("commits every write of a tick together and resolves each caller after the commit", async () => {
    const db = openDb(":memory:");
    const batch = new WriteBatch(db);
    const put = db.prepare("INSERT INTO kv (key, value) VALUES (?, ?)");
    const writes = [1, 2, 3].map((i) => batch.run(() => put.run(`k${i}`, String(i)).changes));
    // Nothing is visible before the batch runs.
    expect(db.prepare("SELECT count(*) AS n FROM kv").get()).toEqual({ n: 0 });
    expect(await Promise.all(writes)).toEqual([1, 1, 1]);
    expect(db.prepare("SELECT count(*) AS n FROM kv").get()).toEqual({ n: 3 });
  });

  it("rolls back only the write that failed; the others commit", async () => {
    const db = openDb(":memory:");
    const batch = new WriteBatch(db);
    const put = db.prepare("INSERT INTO kv (key, value) VALUES (?, ?)");
    const ok1 = batch.run(() => put.run("a", "1"));
    const bad = batch.run(() => {
      put.run("b", "2");
      put.run("a", "dup"); // primary key violation: this whole write is undone, b included
    });
    const ok2 = batch.run(() => put.run("c", "3"));
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await ok1;
    await ok2;
    expect(db.prepare("SELECT key FROM kv ORDER BY key").all()).toEqual([{ key: "a" }, { key: "c" }]);
  });
});
