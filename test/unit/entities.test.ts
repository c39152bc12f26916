import { describe, expect, it } from "vitest";
import { amounts, emails, handles, phones, requestIds, times, urls } from "../../src/text/entities.js";

const clock = { now: new Date("2026-11-24T02:00:00Z"), timeZone: "Asia/Ho_Chi_Minh" }; // 09:00 in Hanoi

describe("entities", () => {
  it("reads request ids in the forms users type them", () => {
    expect(requestIds("mã yêu cầu HT-000123 sao rồi")).toEqual(["HT-000123"]);
    expect(requestIds("ht000123 và HT 45")).toEqual(["HT-000123", "HT-000045"]);
    expect(requestIds("SHT-000123")).toEqual([]);
  });

  it("normalises Vietnamese phone numbers from +84, 84 and 0 forms", () => {
    expect(phones("gọi 0912345678")).toEqual(["+84912345678"]);
    expect(phones("+84 912 345 678")).toEqual(["+84912345678"]);
    expect(phones("84912345678")).toEqual(["+84912345678"]);
    expect(phones("0912.345.678")).toEqual(["+84912345678"]);
    expect(phones("028 3822 6868")).toEqual(["+842838226868"]);
    expect(phones("hotline 1900 6868")).toEqual(["19006868"]);
    expect(phones("chuyển 1.000.000đ")).toEqual([]);
  });

  it("finds handles, emails and links", () => {
    expect(handles("tài khoản @HoTro_VIP nhắn mình")).toEqual(["@hotro_vip"]);
    expect(handles("mail support@abc.com")).toEqual([]);
    expect(emails("is support@abc-help.com yours?")).toEqual(["support@abc-help.com"]);
    expect(urls("xem https://www.facebook.com/hotro.demo/ nhé")).toEqual(["facebook.com/hotro.demo"]);
    expect(urls("t.me/hotro_demo")).toEqual(["t.me/hotro_demo"]);
  });

  it("reads money amounts in VND", () => {
    expect(amounts("nạp 500k")).toEqual([500000]);
    expect(amounts("1.000.000đ")).toEqual([1000000]);
    expect(amounts("2 triệu")).toEqual([2000000]);
    expect(amounts("1tr5")).toEqual([1500000]);
    expect(amounts("200,000 VND")).toEqual([200000]);
  });

  it("resolves times relative to now in the deployment's time zone", () => {
    expect(times("9h sáng nay", clock)[0]).toMatchObject({ date: "2026-11-24", time: "09:00" });
    expect(times("hôm qua", clock)[0]).toMatchObject({ date: "2026-11-23" });
    expect(times("20/11", clock)[0]).toMatchObject({ date: "2026-11-20" });
    expect(times("tối qua lúc 10h", clock)[0]).toMatchObject({ date: "2026-11-23", time: "22:00" });
    expect(times("2 tiếng trước", clock)[0]).toMatchObject({ date: "2026-11-24" });
    expect(times("yesterday at 8pm", clock)[0]).toMatchObject({ date: "2026-11-23", time: "20:00" });
    expect(times("không nhớ", clock)).toEqual([]);
  });
});
