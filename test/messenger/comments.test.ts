import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fake-platform.js";
import { PAGE, type Rig, rig, SEND_PATH, sleep } from "./setup.js";

/**
 * Page comments (MESSENGER_COMMENTS). The webhook as Meta documents the `feed` field of Page
 * webhooks (developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed): a change
 * with `item: "comment"`, `verb: "add"`; the private reply as Meta documents Private Replies
 * (developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/
 * private-replies): `POST /<PAGE_ID>/messages` with `recipient: {comment_id}`, one per comment.
 */

const POST = `${PAGE}_122131676912594941`;
let n = 0;

function comment(message: string, from = { id: "6543210987654321", name: "Nguyễn Minh" }, id?: string) {
  const commentId = id ?? `122131676912594941_${1213590066982748 + ++n}`;
  return {
    commentId,
    body: {
      object: "page",
      entry: [
        {
          id: PAGE,
          time: Date.now(),
          changes: [
            {
              field: "feed",
              value: {
                from,
                post: { status_type: "added_photos", is_published: true, id: POST },
                message,
                post_id: POST,
                comment_id: commentId,
                created_time: Math.floor(Date.now() / 1000),
                item: "comment",
                parent_id: POST,
                verb: "add",
              },
            },
          ],
        },
      ],
    },
  };
}

const privateReplies = (r: Rig, commentId?: string) =>
  r.fake.to(SEND_PATH).filter((q) => {
    const c = (q.body as { recipient?: { comment_id?: string } }).recipient?.comment_id;
    return c !== undefined && (commentId === undefined || c === commentId);
  });

describe("Page comments, off by default", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());

  it("a comment asking for support is acknowledged and left alone", async () => {
    expect((await r.post(comment("ad ơi inbox em với").body)).statusCode).toBe(200);
    await r.idle();
    await sleep(200);
    expect(privateReplies(r)).toEqual([]);
  });
});

describe("Page comments (MESSENGER_COMMENTS=private)", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ adapter: { comments: "private" } });
  });
  afterAll(() => r.close());

  it("a comment asking for support gets exactly one private reply, however often Meta delivers it", async () => {
    const c = comment("ad ơi inbox em với, nạp tiền mãi không vào");
    expect((await r.post(c.body)).statusCode).toBe(200);
    expect((await r.post(c.body)).statusCode).toBe(200);
    await waitFor(() => privateReplies(r, c.commentId).length === 1);
    await sleep(300);
    expect((await r.post(c.body)).statusCode).toBe(200);
    await sleep(300);
    const replies = privateReplies(r, c.commentId);
    expect(replies).toHaveLength(1);
    const body = replies[0]?.body as { recipient: unknown; messaging_type: string; message: { text: string } };
    expect(body.recipient).toEqual({ comment_id: c.commentId });
    expect(body.messaging_type).toBe("RESPONSE");
    expect(body.message.text).toMatch(/^Chào Nguyễn Minh, mình là trợ lý hỗ trợ của /);
    // Only the private reply: no public one in this mode.
    expect(r.fake.to(`/v21.0/${c.commentId}/comments`)).toEqual([]);
  });

  it("a support question the matcher knows counts too; small talk, praise and the Page's own comments do not", async () => {
    const asks = comment("số hotline là gì vậy shop");
    const praise = comment("Đẹp quá 😍");
    const thanks = comment("cảm ơn");
    const page = comment("ad ơi inbox em", { id: PAGE, name: "HoTro Demo" });
    for (const c of [asks, praise, thanks, page]) expect((await r.post(c.body)).statusCode).toBe(200);
    await waitFor(() => privateReplies(r, asks.commentId).length === 1);
    await sleep(300);
    for (const c of [praise, thanks, page]) expect(privateReplies(r, c.commentId), c.commentId).toEqual([]);
  });

  it("a reply Meta refuses for now may be tried again when the comment comes again; never twice once sent", async () => {
    const c = comment("cần hỗ trợ gấp, bị lỗi đăng nhập");
    let refused = 0;
    r.fake.on((q) => {
      const id = (q.body as { recipient?: { comment_id?: string } }).recipient?.comment_id;
      if (id !== c.commentId || refused > 0) return undefined;
      refused++;
      return { status: 500, body: { error: { message: "unavailable", code: 2, is_transient: true } } };
    });
    await r.post(c.body);
    await waitFor(() => refused === 1);
    await sleep(200);
    await r.post(c.body);
    await waitFor(() => privateReplies(r, c.commentId).length === 2);
    await r.post(c.body);
    await sleep(300);
    expect(privateReplies(r, c.commentId)).toHaveLength(2); // one refused, one delivered
  });
});

describe("Page comments (MESSENGER_COMMENTS=public)", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ adapter: { comments: "public" } });
  });
  afterAll(() => r.close());

  it("adds one short public reply from flows under the comment", async () => {
    const c = comment("shop ơi check ib giúp em");
    await r.post(c.body);
    await r.post(c.body);
    await waitFor(() => r.fake.to(`/v21.0/${c.commentId}/comments`).length === 1);
    await sleep(300);
    expect(privateReplies(r, c.commentId)).toHaveLength(1);
    const pub = r.fake.to(`/v21.0/${c.commentId}/comments`);
    expect(pub).toHaveLength(1);
    expect((pub[0]?.body as { message?: string } | undefined)?.message).toMatch(/đã nhắn tin riêng cho bạn/);
  });
});
