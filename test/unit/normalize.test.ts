import { describe, expect, it } from "vitest";
import { canon, fold, hasVietnameseMarks, tokens, toneKey } from "../../src/text/normalize.js";

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
});
