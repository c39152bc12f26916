import { describe, expect, it } from "vitest";
import { parseDelivery, toInboundEvents } from "../../adapters/messenger/inbound.js";
import { APP_ID, PAGE, PAGE_INBOX } from "./setup.js";

const U = "24680135792468";
const at = 1_700_000_000_000;
const item = (extra: object, ts = at) => ({ sender: { id: U }, recipient: { id: PAGE }, timestamp: ts, ...extra });
const body = (...messaging: object[]) => ({ object: "page", entry: [{ id: PAGE, time: at, messaging }] });
const one = (extra: object) => toInboundEvents(body(item(extra)), { appId: APP_ID });
const meta = { pageId: PAGE };

describe("webhook JSON → InboundEvent", () => {
  it("text", () => {
    expect(one({ message: { mid: "m_1", text: "tài khoản bị khóa" } })).toEqual([
      {
        id: "messenger:mid:m_1",
        channel: "messenger",
        userId: U,
        timestamp: at,
        kind: "message",
        meta,
        platformMessageId: "m_1",
        text: "tài khoản bị khóa",
      },
    ]);
  });

  it("a quick reply tap: postback with its payload, the title as text", () => {
    expect(
      one({ message: { mid: "m_2", text: "Gặp nhân viên", quick_reply: { payload: "intent:handoff.human" } } }),
    ).toEqual([
      {
        id: "messenger:mid:m_2",
        channel: "messenger",
        userId: U,
        timestamp: at,
        kind: "postback",
        meta,
        platformMessageId: "m_2",
        text: "Gặp nhân viên",
        payload: "intent:handoff.human",
      },
    ]);
  });

  it("postbacks: Get Started and menu items; without a mid the id is sender+timestamp+payload", () => {
    expect(one({ postback: { mid: "m_pb", title: "Get Started", payload: "GET_STARTED" } })).toEqual([
      {
        id: "messenger:postback:m_pb",
        channel: "messenger",
        userId: U,
        timestamp: at,
        kind: "postback",
        meta,
        platformMessageId: "m_pb",
        payload: "GET_STARTED",
        text: "Get Started",
      },
    ]);
    expect(one({ postback: { title: "Kiểm tra yêu cầu", payload: "intent:ticket.status" } })[0]).toMatchObject({
      id: `messenger:postback:${U}:${at}:intent:ticket.status`,
      kind: "postback",
      payload: "intent:ticket.status",
    });
    // A standby-style copy without payload carries nothing to act on.
    expect(one({ postback: { title: "Get Started" } })).toEqual([]);
  });

  it("m.me links: a referral, or Get Started with a referral, is a start with the ref", () => {
    expect(one({ referral: { ref: "promo-tet", source: "SHORTLINK", type: "OPEN_THREAD" } })).toEqual([
      {
        id: `messenger:referral:${U}:${at}`,
        channel: "messenger",
        userId: U,
        timestamp: at,
        kind: "start",
        meta,
        payload: "promo-tet",
      },
    ]);
    expect(
      one({
        postback: {
          mid: "m_gs",
          title: "Get Started",
          payload: "GET_STARTED",
          referral: { ref: "ticket", source: "SHORTLINK", type: "OPEN_THREAD" },
        },
      })[0],
    ).toMatchObject({ kind: "start", payload: "ticket", id: "messenger:postback:m_gs" });
  });

  it("attachments: image, sticker, file, audio, video, location, fallback", () => {
    const [e] = one({
      message: {
        mid: "m_att",
        attachments: [
          { type: "image", payload: { url: "https://cdn/img.jpg" } },
          { type: "image", payload: { url: "https://cdn/like.png", sticker_id: 369239263222822 } },
          { type: "sticker", payload: { url: "https://cdn/st.png", sticker_id: 1 } },
          { type: "file", payload: { url: "https://cdn/sao-ke.pdf", title: "sao-ke.pdf" } },
          { type: "audio", payload: { url: "https://cdn/a.mp4" } },
          { type: "video", payload: { url: "https://cdn/v.mp4" } },
          { type: "location", title: "Nhà", payload: { coordinates: { lat: 10.77, long: 106.7 } } },
          { type: "fallback", title: "Bài viết", payload: { url: "https://example.com/post" } },
          { type: "fallback" },
        ],
      },
    });
    expect(e?.kind).toBe("message");
    expect(e?.text).toBeUndefined();
    expect(e?.attachments).toEqual([
      { type: "image", url: "https://cdn/img.jpg" },
      { type: "sticker", url: "https://cdn/like.png" },
      { type: "sticker", url: "https://cdn/st.png" },
      { type: "file", name: "sao-ke.pdf", url: "https://cdn/sao-ke.pdf" },
      { type: "audio", url: "https://cdn/a.mp4" },
      { type: "video", url: "https://cdn/v.mp4" },
      { type: "location", latitude: 10.77, longitude: 106.7, name: "Nhà" },
      { type: "link", name: "Bài viết", url: "https://example.com/post" },
      { type: "link" },
    ]);
  });

  it("echoes: a foreign app (Page Inbox) is a person answering; ours are dropped", () => {
    const echo = (app_id: number | undefined, metadata?: string) => ({
      sender: { id: PAGE },
      recipient: { id: U },
      timestamp: at,
      message: {
        is_echo: true,
        mid: "m_echo",
        text: "Chào bạn",
        ...(app_id ? { app_id } : {}),
        ...(metadata ? { metadata } : {}),
      },
    });
    expect(toInboundEvents(body(echo(PAGE_INBOX)), { appId: APP_ID })).toEqual([
      {
        id: "messenger:mid:m_echo",
        channel: "messenger",
        userId: U,
        timestamp: at,
        kind: "human_reply",
        meta,
        platformMessageId: "m_echo",
        text: "Chào bạn",
      },
    ]);
    expect(toInboundEvents(body(echo(Number(APP_ID))), { appId: APP_ID })).toEqual([]);
    expect(toInboundEvents(body(echo(Number(APP_ID), "hotro")), { appId: APP_ID })).toEqual([]);
    // Without our app id: only the metadata tag says it is ours.
    expect(toInboundEvents(body(echo(Number(APP_ID), "hotro")), {})).toEqual([]);
    expect(toInboundEvents(body(echo(Number(APP_ID))), {})[0]?.kind).toBe("human_reply");
    expect(toInboundEvents(body(echo(PAGE_INBOX, "something-else")), {})[0]?.kind).toBe("human_reply");
  });

  it("every entry and item, oldest first; the user's words in standby marked as such; deliveries and reads dropped", () => {
    const parsed = parseDelivery(
      {
        object: "page",
        entry: [
          {
            id: PAGE,
            time: at,
            messaging: [
              item({ message: { mid: "m_c", text: "c" } }, at + 3),
              item({ delivery: { mids: ["m_x"], watermark: at } }, at + 4),
            ],
            standby: [item({ message: { mid: "m_s", text: "standby" } }, at)],
          },
          {
            id: PAGE,
            time: at,
            messaging: [
              item({ message: { mid: "m_a", text: "a" } }, at + 1),
              item({ read: { watermark: at } }, at + 5),
              item({ message: { mid: "m_b", text: "b" } }, at + 2),
            ],
          },
        ],
      },
      { appId: APP_ID },
    );
    expect(parsed.events.map((e) => [e.kind, e.text])).toEqual([
      ["standby", "standby"],
      ["message", "a"],
      ["message", "b"],
      ["message", "c"],
    ]);
    expect(parsed.standby).toBe(0);
    expect(parsed.ignored).toBe(2);
  });

  it("odd shapes are ignored, never thrown on", () => {
    expect(toInboundEvents(null)).toEqual([]);
    expect(toInboundEvents({ object: "instagram", entry: [] })).toEqual([]);
    expect(toInboundEvents({ object: "page", entry: "x" })).toEqual([]);
    expect(
      toInboundEvents({ object: "page", entry: [{ messaging: [null, 3, { message: { text: "no sender" } }] }] }),
    ).toEqual([]);
    expect(toInboundEvents(body({ sender: { user_ref: "guest" }, message: { mid: "m", text: "x" } }))).toEqual([]);
    expect(one({ message: { mid: "m_empty" } })).toEqual([]);
  });
});
