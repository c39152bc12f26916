import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Content } from "../../src/content/types.js";
import { AGREE } from "../../src/engine/privacy.js";
import type { StoredSession } from "../../src/ports/session.js";
import { shippedContent } from "../helpers/content.js";
import { harness, textOf } from "../helpers/harness.js";

const dir = mkdtempSync(join(tmpdir(), "hotro-consent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The shipped pack with config/privacy.yaml changed. */
function withPrivacy(change: Partial<Content["config"]["privacy"]>): Content {
  const c = structuredClone(shippedContent());
  Object.assign(c.config.privacy, change);
  return c;
}
const NOTICE_VI = "Dữ liệu được giữ trong thời hạn quy định";

describe("the privacy notice", () => {
  it("is shown once per user per version, recorded with its version and time", async () => {
    const place = join(dir, "notice");
    let h = await harness({ dataDir: place, content: withPrivacy({ notice_version: 1 }) });
    const first = textOf(await h.say("số hotline là gì", { user: "n1" }));
    expect(first).toContain("1900 6868");
    expect(first).toContain(NOTICE_VI);
    expect(first).toContain("hotro.example.vn/chinh-sach-bao-mat");
    const s = (await h.hotro.backend.sessions.get("cli:n1")) as StoredSession;
    expect(s.privacy?.notice?.version).toBe(1);
    expect(s.privacy?.notice?.at).toBeGreaterThan(Date.now() - 60_000);
    expect(textOf(await h.say("cảm ơn nhé", { user: "n1" }))).not.toContain(NOTICE_VI);
    expect(textOf(await h.say("xin chào", { user: "n2" }))).toContain(NOTICE_VI);
    await h.close();

    // A new version of the notice (config raised): shown once more to each user, then not.
    h = await harness({ dataDir: place, content: withPrivacy({ notice_version: 2 }) });
    expect(textOf(await h.say("số hotline là gì", { user: "n1" }))).toContain(NOTICE_VI);
    expect(textOf(await h.say("số hotline là gì", { user: "n1" }))).not.toContain(NOTICE_VI);
    expect(((await h.hotro.backend.sessions.get("cli:n1")) as StoredSession).privacy?.notice?.version).toBe(2);
    await h.close();
  });
});

describe("consent required (config/privacy.yaml consent_required: true)", () => {
  it("keeps nothing but the current message until the user agrees; a data request is still filed", async () => {
    const h = await harness({ dataDir: join(dir, "consent"), content: withPrivacy({ consent_required: true }) });
    const conv = "cli:c1";
    const first = await h.say("tài khoản bị khóa rồi, tên tk là ngoc_anh_77", { user: "c1" });
    expect(textOf(first)).toContain("Bạn đồng ý chứ?");
    expect(first.flatMap((m) => m.quickReplies ?? []).some((q) => q.payload === AGREE)).toBe(true);
    let s = (await h.hotro.backend.sessions.get(conv)) as StoredSession;
    expect(JSON.stringify(s)).not.toContain("ngoc_anh_77");
    expect(s.recent).toEqual([]);
    expect(s.form).toBeUndefined();
    expect(await h.hotro.backend.requests.list({ conv })).toEqual([]);

    // Asking for a person needs a request: the user is told consent comes first.
    expect(textOf(await h.say("cho gặp nhân viên", { user: "c1" }))).toContain("chưa đồng ý");
    expect(await h.hotro.backend.requests.list({ conv })).toEqual([]);

    // A request about their own data is the law's own ground: filed even without consent.
    expect(textOf(await h.say("xóa dữ liệu của tôi", { user: "c1" }))).toContain("xác minh");
    expect((await h.hotro.backend.requests.list({ conv })).map((r) => r.intent)).toEqual(["privacy.erase"]);

    // "Đồng ý": recorded with version and time, and from then on the conversation is kept.
    expect(textOf(await h.say("Đồng ý", { user: "c1", payload: AGREE }))).toContain("Cảm ơn bạn đã đồng ý");
    s = (await h.hotro.backend.sessions.get(conv)) as StoredSession;
    expect(s.privacy?.consent).toMatchObject({ version: 1, given: true });
    await h.say("tài khoản bị khóa rồi", { user: "c1" });
    s = (await h.hotro.backend.sessions.get(conv)) as StoredSession;
    expect(s.form?.intent).toBe("account.locked");
    expect(s.recent.some((l) => l.text.includes("tài khoản bị khóa"))).toBe(true);
    await h.close();
  });
});

describe("the quality log and consent", () => {
  it("keeps no words of a user who has not agreed, and counts their conversation naming nobody", async () => {
    const h = await harness({ dataDir: join(dir, "quality"), content: withPrivacy({ consent_required: true }) });
    const QUESTION = "con mèo Mướp nhà mình có biết bơi không";
    await h.say(QUESTION, { user: "q1" });
    const all = async () => [
      ...(await h.hotro.backend.quality.between("gap", 0, Date.now() + 1)),
      ...(await h.hotro.backend.quality.between("conversation", 0, Date.now() + 1)),
    ];
    expect(JSON.stringify(await all())).not.toContain("Mướp");
    expect((await all()).filter((e) => e.kind === "conversation")).toHaveLength(1);
    expect((await all()).some((e) => e.conv === "cli:q1")).toBe(false);

    // Once agreed, an unanswered question is kept for the leads' content gaps.
    await h.say("Đồng ý", { user: "q1", payload: AGREE });
    await h.say(QUESTION, { user: "q1" });
    const gaps = await h.hotro.backend.quality.between("gap", 0, Date.now() + 1);
    expect(gaps.map((g) => [g.conv, g.data.text])).toEqual([["cli:q1", QUESTION]]);
    await h.close();
  });
});

describe("withdrawing consent", () => {
  it("is understood in both languages, forgets the conversation and stops keeping it", async () => {
    const h = await harness({ dataDir: join(dir, "withdraw") });
    await h.say("tài khoản bị khóa rồi", { user: "w1" });
    expect(((await h.hotro.backend.sessions.get("cli:w1")) as StoredSession).form).toBeDefined();
    expect(textOf(await h.say("rút lại đồng ý", { user: "w1" }))).toContain("rút lại đồng ý");
    let s = (await h.hotro.backend.sessions.get("cli:w1")) as StoredSession;
    expect(s.privacy?.consent).toMatchObject({ given: false });
    expect(s.recent).toEqual([]);
    expect(s.form).toBeUndefined();
    await h.say("tài khoản bị khóa rồi, tk vu_minh_99", { user: "w1" });
    s = (await h.hotro.backend.sessions.get("cli:w1")) as StoredSession;
    expect(JSON.stringify(s)).not.toContain("vu_minh_99");
    expect(await h.hotro.backend.requests.list({ conv: "cli:w1" })).toEqual([]);

    expect(textOf(await h.say("stop storing my data", { user: "w2" }))).toContain("withdrawn your consent");
    // Agreeing again brings it back.
    expect(textOf(await h.say("I agree", { user: "w2" }))).toContain("Thank you for agreeing");
    expect(((await h.hotro.backend.sessions.get("cli:w2")) as StoredSession).privacy?.consent?.given).toBe(true);
    await h.close();
  });
});
