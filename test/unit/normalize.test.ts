import { describe, expect, it } from "vitest";
import {
  canon,
  clip,
  fold,
  foldMapped,
  hasVietnameseMarks,
  MAX_TEXT_CHARS,
  tokens,
  toneKey,
} from "../../src/text/normalize.js";

describe("normalisation", () => {
  it("folds every Vietnamese letter, NFC or NFD, with đ → d", () => {
    const letters = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
    const expected = "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd";
    expect(fold(letters)).toBe(expected);
    expect(fold(letters.normalize("NFD"))).toBe(expected);
    expect(fold(letters.toUpperCase()).toLowerCase()).toBe(expected);
  });

  it("treats old and new tone placement as the same token", () => {
    expect(toneKey("hòa")).toBe(toneKey("hoà"));
    expect(toneKey("khóa")).toBe(toneKey("khoá"));
    expect(toneKey("thủy")).toBe(toneKey("thuỷ"));
    expect(toneKey("giừơng")).toBe(toneKey("giường"));
    // but keeps different words apart
    expect(toneKey("của")).not.toBe(toneKey("cua"));
    expect(toneKey("mất")).not.toBe(toneKey("mật"));
  });

  it("strips zero-width characters, fullwidth forms, case and stretched letters", () => {
    expect(fold(canon("Ｎạｐ　tiền\u200B"))).toBe("nap tien");
    expect(canon("KHOÁAAAA")).toBe("khoáaa".normalize("NFKC").replace("aaa", "aa"));
    expect(canon("đượcccc")).toBe("đượcc");
    expect(canon("  tk\u00AD   bị  ")).toBe("tk bị");
  });

  it("drops punctuation and emoji when tokenising", () => {
    expect(tokens(canon("tk bị khoá 😭😭!!! sao vậy???"))).toEqual(["tk", "bị", "khoá", "sao", "vậy"]);
  });

  it("recognises Vietnamese-only letters and tones", () => {
    expect(hasVietnameseMarks("tài khoản")).toBe(true);
    expect(hasVietnameseMarks("đ")).toBe(true);
    expect(hasVietnameseMarks("tai khoan".normalize("NFD"))).toBe(false);
    expect(hasVietnameseMarks("my account")).toBe(false);
  });

  it("folds with a map back to the original characters, as canon + fold do", () => {
    const samples = [
      "Mật khẩu của EM là: Zz19988",
      "Ｎạｐ　tiền\u200B ４１１１",
      "Mật khẩu".normalize("NFD"),
      "m\u200Bk: abc123\nđược",
      "㎉ 😭 ĐÃ",
    ];
    for (const text of samples) {
      const m = foldMapped(text);
      expect(m.text.replace(/\s+/gu, " ").trim()).toBe(fold(canon(text)));
      expect(m.start.length).toBe(m.text.length);
      for (let i = 0; i < m.text.length; i++) {
        // Each folded character comes from the original code point it maps to.
        const from = text.slice(m.start[i], m.end[i]);
        expect(foldMapped(from).text).toContain(m.text[i]);
      }
    }
  });

  it("caps text before and after NFKC", () => {
    expect(clip("a".repeat(5000))).toHaveLength(MAX_TEXT_CHARS);
    expect(clip(`${"a".repeat(MAX_TEXT_CHARS - 1)}😭`)).toHaveLength(MAX_TEXT_CHARS - 1);
    expect(canon("㎉".repeat(5000)).length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
    expect(canon("ﷺ".repeat(1000)).length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
  });
});
