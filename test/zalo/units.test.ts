import { describe, expect, it } from "vitest";
import { ZALO_CAPABILITIES } from "../../adapters/zalo/capabilities.js";
import { mapZaloEvent, parseJsonKeepingBigInts } from "../../adapters/zalo/inbound.js";
import { createZaloChannel } from "../../adapters/zalo/index.js";
import { classifyError, decodeQuickReply, encodeQuickReply, toZaloBody } from "../../adapters/zalo/outbound.js";
import { recordFromResponse } from "../../adapters/zalo/tokens.js";
import type { ZaloWebhookBody } from "../../adapters/zalo/types.js";
import { verifyZaloSignature, zaloMac } from "../../adapters/zalo/verify.js";
import { render } from "../../src/render/render.js";
import { parseEnv } from "../../src/root/env.js";
import { ADMIN, APP_ID, embeddedDeps, memoryLog, OA_ID, USER } from "./fake-zalo.js";

describe("signature", () => {
  // Synthetic vector from ../shared/notes/zalo-oa.md §3 (computed from the formula).
  const body =
    '{"app_id":"360846524940903967","sender":{"id":"246845883529197922"},"user_id_by_app":"552177279717587730","recipient":{"id":"388613280878808645"},"event_name":"user_send_text","message":{"text":"message","msg_id":"96d3cdf3af150460909"},"timestamp":"154390853474"}';
  const mac = "8dbbdc472a6388427ac970d91c3b52eb2d0b1cf4a6ed162175383138a09e1b42";
  const raw = Buffer.from(body);

  it("is a plain SHA-256 of app_id + raw body + timestamp + OA secret key", () => {
    expect(zaloMac("360846524940903967", raw, "154390853474", "oa-secret")).toBe(mac);
    expect(verifyZaloSignature(`mac=${mac}`, raw, "360846524940903967", "154390853474", "oa-secret")).toBe(true);
  });

  it("accepts the prefix in any case, no prefix, and upper-case hex", () => {
    for (const h of [`MAC=${mac}`, `Mac=${mac}`, mac, `mac=${mac.toUpperCase()}`, `  mac=${mac} `])
      expect(verifyZaloSignature(h, raw, "360846524940903967", "154390853474", "oa-secret")).toBe(true);
  });

  it("rejects a wrong secret, a changed body, a missing header, garbage and an HMAC", async () => {
    const { createHmac } = await import("node:crypto");
    const app = "360846524940903967";
    const ts = "154390853474";
    expect(verifyZaloSignature(`mac=${mac}`, raw, app, ts, "app-secret")).toBe(false);
    expect(
      verifyZaloSignature(`mac=${mac}`, Buffer.from(body.replace("message", "messagf")), app, ts, "oa-secret"),
    ).toBe(false);
    expect(verifyZaloSignature(undefined, raw, app, ts, "oa-secret")).toBe(false);
    expect(verifyZaloSignature("", raw, app, ts, "oa-secret")).toBe(false);
    expect(verifyZaloSignature("mac=zz", raw, app, ts, "oa-secret")).toBe(false);
    expect(verifyZaloSignature(`mac=${mac}`, raw, app, "154390853475", "oa-secret")).toBe(false);
    const hmac = createHmac("sha256", "oa-secret").update(raw).digest("hex");
    expect(verifyZaloSignature(`mac=${hmac}`, raw, app, ts, "oa-secret")).toBe(false);
  });
});

describe("ids stay strings", () => {
  it("keeps integers past 2^53 as their exact digits, and leaves strings and other numbers alone", () => {
    const raw =
      '{"a":2468458835291979221,"b":-2468458835291979221,"c":"x 1234567890123456789 \\" 9999999999999999999","d":1.5,"e":12345,"f":1e20,"g":[4267886274574868951],"h":1234567890123456.5}';
    const j = parseJsonKeepingBigInts(raw) as Record<string, unknown>;
    expect(j.a).toBe("2468458835291979221");
    expect(j.b).toBe("-2468458835291979221");
    expect(j.c).toBe('x 1234567890123456789 " 9999999999999999999');
    expect(j.d).toBe(1.5);
    expect(j.e).toBe(12345);
    expect(j.f).toBe(1e20);
    expect(j.g).toEqual(["4267886274574868951"]);
    expect(j.h).toBe(1234567890123456.5);
  });

  it("maps a bare numeric 19-digit sender id to the exact string", () => {
    const raw = `{"app_id":"${APP_ID}","event_name":"user_send_text","sender":{"id":${USER}},"recipient":{"id":${OA_ID}},"message":{"text":"hi","msg_id":"abc"},"timestamp":"1700000000000"}`;
    const { events } = mapZaloEvent(parseJsonKeepingBigInts(raw) as ZaloWebhookBody);
    expect(events[0]?.userId).toBe(USER);
    // Plain JSON.parse would have rounded it.
    expect(String((JSON.parse(raw) as { sender: { id: number } }).sender.id)).not.toBe(USER);
  });
});

/** Fixtures shaped like the docs' payloads (zalo-oa.md §4), ids as 19-digit strings. */
const env = (event_name: string, message: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({
    app_id: APP_ID,
    user_id_by_app: "5521772797175877301",
    event_name,
    timestamp: "1700000000123",
    sender: { id: USER },
    recipient: { id: OA_ID },
    message,
    ...extra,
  }) as ZaloWebhookBody;

describe("every event type", () => {
  it("user_send_text → message", () => {
    const { events } = mapZaloEvent(env("user_send_text", { text: "tk bị khoá", msg_id: "8850000000000000001" }));
    expect(events).toEqual([
      {
        id: "zalo:msg:8850000000000000001",
        channel: "zalo",
        userId: USER,
        timestamp: 1700000000123,
        kind: "message",
        text: "tk bị khoá",
        platformMessageId: "8850000000000000001",
      },
    ]);
  });

  const attachmentCases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      "user_send_image",
      {
        type: "image",
        payload: { thumbnail: "https://photo.talk.zdn.vn/t.jpg", url: "https://photo.talk.zdn.vn/a.jpg" },
      },
      { type: "image", url: "https://photo.talk.zdn.vn/a.jpg" },
    ],
    [
      "user_send_gif",
      { type: "gif", payload: { thumbnail: "https://g/t.jpg", url: "https://g/a.gif" } },
      { type: "image", url: "https://g/a.gif" },
    ],
    [
      "user_send_sticker",
      {
        type: "sticker",
        payload: { id: "c3b3c0a1", url: "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1" },
      },
      { type: "sticker", url: "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1", fileId: "c3b3c0a1" },
    ],
    [
      "user_send_file",
      {
        type: "file",
        payload: { url: "https://f/sao-ke.pdf", name: "sao-ke.pdf", size: "20480", checksum: "x", type: "pdf" },
      },
      // The size comes as a string: read as a number (a file past the cap is not fetched).
      { type: "file", url: "https://f/sao-ke.pdf", name: "sao-ke.pdf", size: 20480 },
    ],
    [
      "user_send_audio",
      { type: "audio", payload: { url: "https://a/v.aac" } },
      // Zalo's audio is a voice message recorded in the app.
      { type: "audio", url: "https://a/v.aac", voice: true },
    ],
    [
      "user_send_video",
      { type: "video", payload: { url: "https://v/v.mp4", thumbnail: "https://v/t.jpg" } },
      { type: "video", url: "https://v/v.mp4" },
    ],
    [
      "user_send_link",
      {
        type: "link",
        payload: { url: "https://hotro.example.vn/x", title: "Hỗ trợ", description: "d", thumbnail: "t" },
      },
      { type: "link", url: "https://hotro.example.vn/x", name: "Hỗ trợ" },
    ],
    [
      "user_send_location",
      { type: "location", payload: { coordinates: { latitude: "10.7769", longitude: "106.7009" } } },
      { type: "location", latitude: 10.7769, longitude: 106.7009 },
    ],
    [
      "user_send_business_card",
      {
        type: "business_card",
        payload: {
          thumbnail: "https://c/t.jpg",
          url: "https://c/qr.jpg",
          description: '{"phone":"0901234567","qrCodeUrl":"https://c/qr.jpg"}',
        },
      },
      { type: "contact", url: "https://c/qr.jpg", phone: "0901234567" },
    ],
  ];
  for (const [name, attachment, expected] of attachmentCases) {
    it(`${name} → message with a ${expected.type} attachment`, () => {
      const { events } = mapZaloEvent(env(name, { msg_id: "8850000000000000002", attachments: [attachment] }));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ id: "zalo:msg:8850000000000000002", kind: "message", userId: USER });
      expect(events[0]?.attachments).toEqual([expected]);
    });
  }

  it("an image caption is kept as the text", () => {
    const { events } = mapZaloEvent(
      env("user_send_image", {
        msg_id: "1",
        text: "ảnh lỗi đây ạ",
        attachments: [{ type: "image", payload: { url: "https://p/a.jpg" } }],
      }),
    );
    expect(events[0]?.text).toBe("ảnh lỗi đây ạ");
  });

  it("follow → start, the first contact (keyed by event, user and timestamp), and unfollow → unfollow", () => {
    const follow = {
      app_id: APP_ID,
      oa_id: OA_ID,
      follower: { id: USER },
      event_name: "follow",
      source: "oa_profile",
      timestamp: "1700000000999",
      user_id_by_app: "5521772797175877301",
    } as ZaloWebhookBody;
    expect(mapZaloEvent(follow).events).toEqual([
      {
        id: `zalo:follow:${USER}:1700000000999`,
        channel: "zalo",
        userId: USER,
        timestamp: 1700000000999,
        kind: "start",
      },
    ]);
    expect(mapZaloEvent({ ...follow, event_name: "unfollow" }).events[0]).toMatchObject({
      id: `zalo:unfollow:${USER}:1700000000999`,
      kind: "unfollow",
      userId: USER,
    });
  });

  it('user_click_chatnow → start: the user tapped "Nhắn tin" on the OA\'s profile', () => {
    const body = {
      app_id: APP_ID,
      oa_id: OA_ID,
      user_id: USER,
      event_name: "user_click_chatnow",
      timestamp: "1700000002000",
    } as ZaloWebhookBody;
    expect(mapZaloEvent(body).events).toEqual([
      {
        id: `zalo:user_click_chatnow:${USER}:1700000002000`,
        channel: "zalo",
        userId: USER,
        timestamp: 1700000002000,
        kind: "start",
      },
    ]);
  });

  it("user_submit_info → message with the submitted fields as text", () => {
    const body = {
      app_id: APP_ID,
      oa_id: OA_ID,
      user_id_by_app: "5521772797175877301",
      event_name: "user_submit_info",
      timestamp: "1700000001000",
      sender: { id: USER },
      recipient: { id: OA_ID },
      info: {
        address: "12 Lê Lợi",
        phone: "84901234567",
        city: "TP HCM",
        district: "Quận 1",
        name: "Nguyễn Văn A",
        ward: "",
      },
    } as ZaloWebhookBody;
    const [e] = mapZaloEvent(body).events;
    expect(e).toMatchObject({ id: `zalo:user_submit_info:${USER}:1700000001000`, kind: "message", userId: USER });
    expect(e?.text).toBe("name: Nguyễn Văn A\nphone: 84901234567\naddress: 12 Lê Lợi\ndistrict: Quận 1\ncity: TP HCM");
    // A form asking for a phone number reads it from the shared contact.
    expect(e?.attachments).toEqual([{ type: "contact", phone: "84901234567", name: "Nguyễn Văn A" }]);
  });

  it("receipts are ignored", () => {
    const seen = {
      ...env("user_seen_message", { msg_ids: ["1", "2"] }),
      sender: { id: OA_ID },
      recipient: { id: USER },
    };
    expect(mapZaloEvent(seen)).toEqual({ events: [], ignored: "receipt" });
    expect(mapZaloEvent(env("user_received_message", { msg_id: "3" })).events).toEqual([]);
  });

  it("oa_send_* echoes of our own sends are ignored; with sender.admin_id they are a person's reply", () => {
    for (const name of [
      "oa_send_text",
      "oa_send_image",
      "oa_send_list",
      "oa_send_gif",
      "oa_send_file",
      "oa_send_sticker",
    ]) {
      const echo = env(name, { text: "x", msg_id: "7" }, { sender: { id: OA_ID }, recipient: { id: USER } });
      expect(mapZaloEvent(echo)).toEqual({ events: [], ignored: "own echo" });
    }
    const human = env(
      "oa_send_text",
      { text: "Dạ em gửi anh báo giá ạ", msg_id: "7700000000000000001" },
      { sender: { id: OA_ID, admin_id: ADMIN }, recipient: { id: USER } },
    );
    expect(mapZaloEvent(human).events).toEqual([
      {
        id: "zalo:msg:7700000000000000001",
        channel: "zalo",
        userId: USER,
        timestamp: 1700000000123,
        kind: "human_reply",
        text: "Dạ em gửi anh báo giá ạ",
        platformMessageId: "7700000000000000001",
        meta: { adminId: ADMIN },
      },
    ]);
  });

  it("unknown and group/anonymous events are ignored", () => {
    expect(mapZaloEvent(env("user_click_something", {})).events).toEqual([]);
    expect(mapZaloEvent(env("anonymous_send_text", { text: "x", msg_id: "1" })).events).toEqual([]);
  });

  it("a tapped quick reply (its payload back as user_send_text) → postback with payload and label", () => {
    const text = encodeQuickReply({ label: "Gặp nhân viên", payload: "intent:handoff.human" });
    const [e] = mapZaloEvent(env("user_send_text", { text, msg_id: "55" })).events;
    expect(e).toMatchObject({ kind: "postback", payload: "intent:handoff.human", text: "Gặp nhân viên" });
  });
});

describe("quick replies encoding", () => {
  it("round-trips labels with colons and payloads with colons", () => {
    const q = { label: "Hỏi: tài khoản?", payload: "intent:account:locked" };
    expect(decodeQuickReply(encodeQuickReply(q))).toEqual(q);
    expect(decodeQuickReply("hotro:qr::menu")).toEqual({ payload: "menu" });
    expect(decodeQuickReply("xin chào")).toBeUndefined();
    expect(decodeQuickReply("hotro:qr:")).toBeUndefined();
  });

  it("fits Zalo's 1,000-character query payload by leaving the label out", () => {
    const enc = encodeQuickReply({ label: "đ".repeat(200), payload: "p".repeat(900) });
    expect(enc.length).toBeLessThanOrEqual(1000);
    expect(decodeQuickReply(enc)).toEqual({ payload: "p".repeat(900) });
  });
});

describe("outbound bodies", () => {
  it("text", () => {
    expect(toZaloBody(USER, { text: "Xin chào" })).toEqual({
      recipient: { user_id: USER },
      message: { text: "Xin chào" },
    });
  });

  it("a reply names the user's message: a quote on text (buttons too), recipient.message_id, or nothing", () => {
    const mid = "96d3cdf3af150460909";
    expect(toZaloBody(USER, { text: "Dạ" }, { mode: "quote", messageId: mid })).toEqual({
      recipient: { user_id: USER },
      message: { text: "Dạ", quote_message_id: mid },
    });
    const withButtons = toZaloBody(
      USER,
      { text: "Chọn", quickReplies: [{ label: "A", payload: "a" }] },
      { mode: "quote", messageId: mid },
    );
    expect(withButtons.message.quote_message_id).toBe(mid);
    expect(
      toZaloBody(USER, { image: { url: "https://x.vn/a.png" } }, { mode: "quote", messageId: mid }).message,
    ).not.toHaveProperty("quote_message_id");
    expect(toZaloBody(USER, { text: "Dạ" }, { mode: "recipient", messageId: mid })).toEqual({
      recipient: { message_id: mid },
      message: { text: "Dạ" },
    });
    expect(toZaloBody(USER, { text: "Dạ" }, { mode: "off", messageId: mid })).toEqual(toZaloBody(USER, { text: "Dạ" }));
  });

  it("quick replies become oa.query.hide buttons", () => {
    const b = toZaloBody(USER, { text: "Chọn", quickReplies: [{ label: "Menu", payload: "menu" }] });
    expect(b.message).toEqual({
      text: "Chọn",
      attachment: {
        type: "template",
        payload: { buttons: [{ title: "Menu", type: "oa.query.hide", payload: "hotro:qr:Menu:menu" }] },
      },
    });
  });

  it("url and phone buttons", () => {
    const b = toZaloBody(USER, {
      text: "Liên hệ",
      buttons: [
        { type: "url", label: "Trang hỗ trợ", url: "https://hotro.example.vn" },
        { type: "phone", label: "Gọi", phone: "1900 6868" },
      ],
    });
    expect(b.message.attachment?.payload).toEqual({
      buttons: [
        { title: "Trang hỗ trợ", type: "oa.open.url", payload: { url: "https://hotro.example.vn" } },
        { title: "Gọi", type: "oa.open.phone", payload: { phone_code: "19006868" } },
      ],
    });
  });

  it("an image goes as a media template by URL", () => {
    const b = toZaloBody(USER, { image: { url: "https://cdn/x.png", caption: "Hướng dẫn" } });
    expect(b.message).toEqual({
      text: "Hướng dẫn",
      attachment: {
        type: "template",
        payload: { template_type: "media", elements: [{ media_type: "image", url: "https://cdn/x.png" }] },
      },
    });
  });

  it("the renderer splits text at 2,000 characters and never mixes quick replies with buttons", () => {
    const long = Array.from({ length: 500 }, (_, i) => `câu số ${i}.`).join(" ");
    const parts = render(
      {
        text: long,
        quickReplies: [{ label: "Menu", payload: "menu" }],
        buttons: [{ type: "url", label: "Web", url: "https://x" }],
      },
      ZALO_CAPABILITIES,
    );
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect((p.text ?? "").length).toBeLessThanOrEqual(2000);
      expect(!!p.quickReplies?.length && !!p.buttons?.length).toBe(false);
      const body = toZaloBody(USER, p);
      const buttons = (body.message.attachment?.payload as { buttons?: unknown[] } | undefined)?.buttons ?? [];
      expect(buttons.length).toBeLessThanOrEqual(5);
    }
  });
});

describe("error codes", () => {
  it("classifies Zalo's codes", () => {
    expect(classifyError(-216, "x").kind).toBe("auth");
    expect(classifyError(-220, undefined).kind).toBe("auth");
    expect(classifyError(-32, undefined).kind).toBe("transient");
    for (const c of [-230, -232, -213, -227, -244]) {
      const r = classifyError(c, "m");
      expect(r.kind).toBe("permanent");
      if (r.kind === "permanent") expect(r.error).toContain(String(c));
    }
    const w = classifyError(-230, undefined);
    expect(w.kind === "permanent" && w.error).toContain("7 days");
  });
});

describe("tokens", () => {
  it("accepts expires_in as a string or a number", () => {
    const a = recordFromResponse(
      { access_token: "a", refresh_token: "r", expires_in: "90000" },
      undefined,
      "refresh",
      0,
    );
    const b = recordFromResponse({ access_token: "a", refresh_token: "r", expires_in: 3600 }, undefined, "refresh", 0);
    expect(a?.accessExpiresAt).toBe(90_000_000);
    expect(b?.accessExpiresAt).toBe(3_600_000);
    expect(recordFromResponse({ error: -14014 }, undefined, "refresh", 0)).toBeUndefined();
  });
});

describe("createZaloChannel", () => {
  it("is undefined unless the four variables are set", async () => {
    const { log } = memoryLog();
    const deps = embeddedDeps(log);
    const full = {
      ZALO_APP_ID: APP_ID,
      ZALO_APP_SECRET: "secret",
      ZALO_OA_SECRET_KEY: "oa-secret",
      ZALO_REFRESH_TOKEN: "refresh",
    };
    expect(createZaloChannel(parseEnv(full), deps)?.id).toBe("zalo");
    for (const k of Object.keys(full)) {
      const partial = { ...full, [k]: "" };
      expect(createZaloChannel(parseEnv(partial), deps)).toBeUndefined();
    }
    await deps.close();
  });
});
