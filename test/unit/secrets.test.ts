import { describe, expect, it } from "vitest";
import { MASK, maskSecrets } from "../../src/text/secrets.js";

const digitsOf = (s: string) => s.normalize("NFKC").replace(/\D/g, "");

describe("secret masking", () => {
  it.each([
    ["otp 583920", "583920", "otp"],
    ["mã xác nhận: 1234", "1234", "otp"],
    ["ma xac nhan la 998877", "998877", "otp"],
    ["mã OTP của mình là 123 456 nhé", "123 456", "otp"],
    ["mk là abc123", "abc123", "password"],
    ["pass: Abc@123", "Abc@123", "password"],
    ["mật khẩu mới của mình là Matkhau@2024", "Matkhau@2024", "password"],
    ["my password is hunter2", "hunter2", "password"],
    ["thẻ 4111 1111 1111 1111", "4111 1111 1111", "card"],
  ])("masks %j", (text, secret, kind) => {
    const r = maskSecrets(text);
    expect(r.text).not.toContain(secret);
    expect(r.text).toContain(MASK);
    expect(r.kinds).toContain(kind);
  });

  // Phrasings an outside test found stored unmasked (issue 12, §3), and their kin.
  it.each([
    // 3-digit CVV/CVC
    ["cvv 147", "cvv ******", "card"],
    ["mã cvv là 123", "mã cvv là ******", "card"],
    ["CVC: 908", "CVC: ******", "card"],
    // "là" followed by a colon
    ["Mật khẩu là: Zz19988", "Mật khẩu là: ******", "password"],
    ["mk la: abc123", "mk la: ******", "password"],
    ["otp là: 583920", "otp là: ******", "otp"],
    // words between the keyword and the separator
    ["mật khẩu tài khoản là hunter22", "mật khẩu tài khoản là ******", "password"],
    ["OTP gửi về là 583920", "OTP gửi về là ******", "otp"],
    // keyword after the value
    ["583920 là mã OTP", "****** là mã OTP", "otp"],
    ["123456 is my OTP", "****** is my OTP", "otp"],
    ["abc123 là mật khẩu của mình", "****** là mật khẩu của mình", "password"],
    // no separator
    ["mk 12345678", "mk ******", "password"],
    ["pass Abc@123", "pass ******", "password"],
    // cards written with dots, fullwidth digits, zero-width characters
    ["4111.1111.1111.1111", "******1111", "card"],
    ["thẻ ４１１１１１１１１１１１１１１１", "thẻ ******１１１１", "card"],
    ["４１１１ １１１１ １１１１ １１１１", "******１１１１", "card"],
    ["4111\u200B1111\u200B1111\u200B1111", "******1111", "card"],
    // zero-width characters inside the keyword or the value
    ["m\u200Bk: abc123", "m\u200Bk: ******", "password"],
    ["otp 58\u200B3920", "otp ******", "otp"],
    ["o\u200Btp: 583920", "o\u200Btp: ******", "otp"],
    // partial masks: the whole value goes
    ["mật khẩu: Qwe 199", "mật khẩu: ******", "password"],
    ["OTP la 5 8 3 9 2 0 1 2", "OTP la ******", "otp"],
    ["mã OTP 583-920", "mã OTP ******", "otp"],
    ["otp 58.39.20 nhé", "otp ****** nhé", "otp"],
    // English
    ["my password is Hunter22", "my password is ******", "password"],
    ["the code is 583920", "the code is ******", "otp"],
    ["My PIN is 2468", "My PIN is ******", "otp"],
  ])("masks %j as %j", (text, expected, kind) => {
    const r = maskSecrets(text);
    expect(r.text).toBe(expected);
    expect(r.kinds).toContain(kind);
  });

  it("keeps the user's own characters everywhere but the secret", () => {
    expect(maskSecrets("Mật khẩu của EM là: Zz19988 nhé ạ").text).toBe("Mật khẩu của EM là: ****** nhé ạ");
    // NFD input (macOS, some Android keyboards) stays NFD.
    const nfd = "Mật khẩu: abc123 nhé".normalize("NFD");
    expect(maskSecrets(nfd).text).toBe("Mật khẩu: ****** nhé".normalize("NFD"));
    expect(maskSecrets("ＯＴＰ：５８３９２０　ạ").text).toBe("ＯＴＰ：******　ạ");
    expect(maskSecrets("mk là abc123, còn otp là 583920 nha").text).toBe("mk là ******, còn otp là ****** nha");
  });

  it("never leaves part of a digit run or of a password clause", () => {
    for (const text of ["OTP la 5 8 3 9 2 0 1 2", "mã otp: 58 39 20 12", "otp 583-920-12"]) {
      expect(digitsOf(maskSecrets(text).text)).toBe("");
    }
    for (const text of ["mật khẩu: Qwe 199", "pass la Abc 123 456", "mk là Lan Anh 2003 nhé"]) {
      const out = maskSecrets(text).text;
      expect(digitsOf(out)).toBe("");
      expect(out).not.toMatch(/Qwe|Abc|Lan|Anh/);
    }
  });

  it("is idempotent: masked text masks to itself", () => {
    for (const text of ["otp 583920", "4111.1111.1111.1111", "mật khẩu: Qwe 199", "583920 là mã OTP"]) {
      const once = maskSecrets(text).text;
      expect(maskSecrets(once)).toEqual({ text: once, kinds: [] });
    }
  });

  it.each([
    "quên mật khẩu thì làm sao",
    "mật khẩu là gì",
    "quen mk roi",
    "đổi pass thế nào",
    "nhân viên hỏi mã OTP có nên đưa không",
    "mã yêu cầu HT-000123 sao rồi",
    "chuyển 1.000.000đ lúc 9h",
    "quên mật khẩu",
    "otp không về",
    "mã otp hết hạn",
    "mã otp hết hạn là sao",
    "mật khẩu là gì vậy",
    "mk la j",
    "nạp 500k mà chưa thấy",
    "0912345678",
    "sđt của em 0912 345 678",
    "HT-000123",
    "lúc 14:30 ngày 20/11/2024",
    "otp gửi 3 lần vẫn không về",
    "otp có 6 số đúng không",
    "mã pin sai 3 lần bị khoá",
    "my password is not working",
    "the code never arrived",
    // "mk" is also teencode for "mình" (I): a number after a date or time word is not a PIN.
    "mk sinh năm 1998",
    "mk là người dùng mới",
    "otp gửi lúc 1530 mà chưa về",
  ])("leaves %j alone", (text) => {
    expect(maskSecrets(text)).toEqual({ text, kinds: [] });
  });
});
