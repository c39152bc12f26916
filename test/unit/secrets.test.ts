import { describe, expect, it } from "vitest";
import { MASK, maskSecrets } from "../../src/text/secrets.js";

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

  it.each([
    "quên mật khẩu thì làm sao",
    "mật khẩu là gì",
    "quen mk roi",
    "đổi pass thế nào",
    "nhân viên hỏi mã OTP có nên đưa không",
    "mã yêu cầu HT-000123 sao rồi",
    "chuyển 1.000.000đ lúc 9h",
  ])("leaves %j alone", (text) => {
    expect(maskSecrets(text)).toEqual({ text, kinds: [] });
  });
});
