import { describe, expect, it } from "vitest";
import { handle } from "../../src/engine/engine.js";
import { newSession } from "../../src/engine/session.js";
import type { Session } from "../../src/ports/session.js";
import { engineContext, message } from "../engine/context.js";

const HOUR = 3_600_000;

describe("a person's requests about their data", () => {
  it.each([
    ["cho mình xem bên bạn lưu dữ liệu gì về mình", "privacy.access", 48],
    ["sua lai thong tin ca nhan cua minh bi sai", "privacy.correct", 48],
    ["xóa dữ liệu của tôi", "privacy.erase", 72],
    ["please delete all my personal data", "privacy.erase", 72],
  ])("%s → %s, filed with its deadline (%i h) and the user told by when", (text, intent, hours) => {
    const ctx = engineContext();
    const r = handle(message(text), undefined, ctx);
    const create = r.actions.find((a) => a.type === "request.create");
    expect(create?.type === "request.create" && create.draft).toMatchObject({
      intent,
      rule: "data_request",
      dueAt: ctx.now.getTime() + hours * HOUR,
    });
    expect(create?.type === "request.create" && create.handoff).toBe(false);
    const reply = r.actions.find((a) => a.type === "reply");
    expect(reply?.type === "reply" && reply.message.text).toMatch(/\d\d\/\d\d \d\d:\d\d/);
  });

  it("asking again while one is open says which, and files nothing twice", () => {
    const ctx = engineContext();
    const first = handle(message("xóa dữ liệu của tôi"), undefined, ctx);
    const s = structuredClone(first.session);
    for (const req of s.requests) req.id = "HT-000009";
    const again = handle(message("xoa du lieu cua toi di"), s, ctx);
    expect(again.actions.some((a) => a.type === "request.create")).toBe(false);
    const reply = again.actions.find((a) => a.type === "reply");
    expect(reply?.type === "reply" && reply.message.text).toContain("HT-000009");
  });

  it("while a person handles the conversation, the request is filed quietly beside the open one", () => {
    const ctx = engineContext({ operators: true });
    const s: Session = {
      ...newSession(),
      mode: "human",
      humanUntil: ctx.now.getTime() + HOUR,
      openRequestId: "HT-000001",
      requests: [
        {
          id: "HT-000001",
          intent: "account.locked",
          title: "t",
          status: "in_progress",
          priority: "high",
          createdAt: 0,
          escalated: true,
        },
      ],
    };
    const r = handle(message("à mà xóa dữ liệu của tôi luôn nhé"), s, ctx);
    expect(r.actions.filter((a) => a.type === "reply")).toEqual([]);
    const create = r.actions.find((a) => a.type === "request.create");
    expect(create?.type === "request.create" && create.draft.intent).toBe("privacy.erase");
    expect(r.session.openRequestId).toBe("HT-000001");
    expect(r.actions.some((a) => a.type === "request.append" && a.requestId === "HT-000001")).toBe(true);
  });
});
