import { describe, expect, it } from "vitest";
import type { ChannelCapabilities } from "../../src/ports/capabilities.js";
import { render, shorten, splitText } from "../../src/render/render.js";

const caps = (over: Partial<ChannelCapabilities> = {}): ChannelCapabilities => ({
  maxTextLength: 100,
  maxQuickReplies: 3,
  maxQuickReplyTitle: 10,
  maxButtons: 2,
  maxButtonTitle: 10,
  buttonTypes: ["url", "postback"],
  maxTextWithButtons: 100,
  quickRepliesWithButtons: true,
  images: true,
  typing: false,
  ...over,
});

describe("renderer", () => {
  it("splits long text at word boundaries, in order, within the limit", () => {
    const text = Array.from({ length: 60 }, (_, i) => `từ${i}`).join(" ");
    const parts = splitText(text, 50);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(50);
    expect(parts.join(" ")).toBe(text);
  });

  it("prefers paragraph breaks", () => {
    const a = "a".repeat(30);
    const b = "b".repeat(30);
    expect(splitText(`${a}\n\n${b}`, 40)).toEqual([a, b]);
  });

  it("shortens titles with an ellipsis", () => {
    expect(shorten("Tài khoản bị khóa", 10)).toBe("Tài khoản…");
    expect(shorten("ngắn", 10)).toBe("ngắn");
  });

  it("keeps quick replies on the last message, within the channel's limits", () => {
    const out = render(
      {
        text: "x ".repeat(120).trim(),
        quickReplies: [1, 2, 3, 4].map((i) => ({ label: `Lựa chọn số ${i}`, payload: `p${i}` })),
      },
      caps(),
    );
    expect(out.length).toBeGreaterThan(1);
    expect(out.slice(0, -1).every((m) => !m.quickReplies)).toBe(true);
    const last = out[out.length - 1];
    expect(last?.quickReplies).toHaveLength(3);
    expect(last?.quickReplies?.every((q) => q.label.length <= 10)).toBe(true);
  });

  it("numbers quick replies where the channel has none", () => {
    const [m] = render(
      {
        text: "Chọn:",
        quickReplies: [
          { label: "A", payload: "a" },
          { label: "B", payload: "b" },
        ],
      },
      caps({ maxQuickReplies: 0 }),
    );
    expect(m?.text).toBe("Chọn:\n1. A\n2. B");
    expect(m?.quickReplies).toBeUndefined();
  });

  it("turns unsupported buttons into text and extra buttons into more messages", () => {
    const out = render(
      {
        text: "Liên hệ",
        buttons: [
          { type: "phone", label: "Gọi", phone: "19006868" },
          { type: "url", label: "Web", url: "https://a.vn" },
          { type: "url", label: "Fanpage", url: "https://fb.com/a" },
          { type: "url", label: "Zalo", url: "https://zalo.me/a" },
        ],
      },
      caps(),
    );
    expect(out[0]?.text).toContain("Gọi: 19006868");
    expect(out.flatMap((m) => m.buttons ?? [])).toHaveLength(3);
    expect(out.every((m) => (m.buttons?.length ?? 0) <= 2)).toBe(true);
  });

  it("sends images as links where the channel cannot show them", () => {
    const out = render({ image: { url: "https://a.vn/x.png", caption: "Ảnh" } }, caps({ images: false }));
    expect(out).toEqual([{ text: "Ảnh\nhttps://a.vn/x.png" }]);
  });
});
