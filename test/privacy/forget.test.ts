import { describe, expect, it } from "vitest";
import type { StoredSession } from "../../src/ports/session.js";
import { waitFor } from "../helpers/fake-platform.js";
import { harness } from "../helpers/harness.js";

describe("erasure in the conversation's own order", () => {
  it("a `forget` event erases again what a turn under way during the erasure wrote back", async () => {
    const h = await harness();
    await h.say("tài khoản bị khóa rồi, tk hoa_mai_2001", { user: "f1" });
    await h.hotro.desk.people.erase({ channel: "cli", userId: "f1" }, "hoa");
    // As if a turn that had read the session before the erasure wrote it back afterwards.
    await h.hotro.backend.sessions.set("cli:f1", {
      v: 1,
      lang: "vi",
      mode: "bot",
      formFailures: 0,
      fallbackStreak: 0,
      requests: [],
      recent: [{ from: "user", text: "tk hoa_mai_2001", at: Date.now() }],
    } as StoredSession);
    await h.hotro.runtime.control("cli:f1", { kind: "forget" }, "forget:test");
    await waitFor(async () => (await h.hotro.backend.sessions.get("cli:f1")) === undefined, 5000, "the session erased");
    expect(await h.hotro.backend.people.collect({ channel: "cli", userId: "f1" })).toMatchObject({
      requests: [],
      values: [],
    });
    await h.close();
  });
});
