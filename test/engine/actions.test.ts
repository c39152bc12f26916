import { describe, expect, it } from "vitest";
import { NEW_REQUEST, resolveRequestId, withRequestId } from "../../src/engine/actions.js";

describe("request ids in actions", () => {
  it("a known id stays; the new request's is the one the store gave", () => {
    expect(resolveRequestId("HT-000007", undefined)).toBe("HT-000007");
    expect(resolveRequestId("HT-000007", "HT-000009")).toBe("HT-000007");
    expect(resolveRequestId(NEW_REQUEST, "HT-000009")).toBe("HT-000009");
  });

  it("refuses a reference to the new request before it was created", () => {
    expect(() => resolveRequestId(NEW_REQUEST, undefined)).toThrow(/before its request.create/);
  });

  it("fills every {request_id} of a reply's text and nothing else", () => {
    const message = {
      text: "Đã ghi nhận {request_id} (ghi mã {request_id}); {other} giữ nguyên",
      quickReplies: [{ label: "{request_id}", payload: "intent:ticket.status" }],
    };
    expect(withRequestId(message, "HT-000009")).toEqual({
      text: "Đã ghi nhận HT-000009 (ghi mã HT-000009); {other} giữ nguyên",
      quickReplies: [{ label: "{request_id}", payload: "intent:ticket.status" }],
    });
    expect(message.text).toContain("{request_id}");
    expect(withRequestId({ image: { url: "https://example.vn/a.png" } }, "HT-1")).toEqual({
      image: { url: "https://example.vn/a.png" },
    });
  });
});
