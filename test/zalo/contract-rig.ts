import { encodeQuickReply } from "../../adapters/zalo/outbound.js";
import type { Content } from "../../src/content/types.js";
import { channelDeps } from "../../src/root/compose.js";
import { type ChannelFixtures, type ChannelRig, refuse, type Sent } from "../contracts/channel.contract.js";
import type { Recorded } from "../helpers/fake-platform.js";
import { harness } from "../helpers/harness.js";
import { APP_ID, channel, FakeZalo, OA_ID, OA_SECRET, sign, userAttachment, userText } from "./fake-zalo.js";

const TIMEOUT_MS = 500;
const RATE_LIMIT_RETRY_MS = 300;

type SendBody = {
  recipient?: { user_id?: string };
  message?: {
    text?: string;
    attachment?: {
      payload?: { buttons?: { title: string; type: string }[]; elements?: { media_type?: string; url?: string }[] };
    };
  };
};

/** Zalo signs the exact body, `app_id` and `timestamp` included: a redelivery is the same bytes. */
const body = (event: Record<string, unknown>) =>
  JSON.stringify({ app_id: APP_ID, timestamp: String(Date.now()), ...event });

/** Webhook events as Zalo documents them (test/zalo/fake-zalo.ts). */
export const zaloFixtures: ChannelFixtures = {
  text: (user, text) => body(userText(text, user)),
  // A quick reply is an `oa.query.hide` button: its payload comes back as the user's text.
  postback: (user, payload) => body(userText(encodeQuickReply({ label: "Chọn", payload }), user)),
  start: (user) =>
    body({
      oa_id: OA_ID,
      follower: { id: user },
      event_name: "follow",
      source: "oa_profile",
      user_id_by_app: "5521772797175877301",
    }),
  attachment: (user) =>
    body(
      userAttachment(user, "user_send_image", {
        type: "image",
        payload: { thumbnail: "https://photo.talk.zdn.vn/t.jpg", url: "https://photo.talk.zdn.vn/a.jpg" },
      }),
    ),
};

let users = 0;

/** The Zalo OA channel in the app (its tokens in the app's store), against a local Zalo. */
export async function zaloRig(content: Content): Promise<ChannelRig> {
  const z = await new FakeZalo().start();
  const h = await harness({
    content,
    makeChannels: (d) => [channel(z, channelDeps(d), { timeoutMs: TIMEOUT_MS, rateLimitRetryMs: RATE_LIMIT_RETRY_MS })],
  });
  const adapter = h.hotro.channels.get("zalo");
  if (!adapter) throw new Error("no Zalo channel");
  const refused = new Set<Recorded>();
  const to = (user: string) => (r: Recorded) =>
    r.path === "/v3.0/oa/message/cs" && (r.body as SendBody).recipient?.user_id === user;
  return {
    h,
    adapter,
    // OA API: a text message is at most 2000 characters; a message's button list holds 5.
    limits: { text: 2000, quickReplies: 5 },
    user: async () => `24684588352919${String(90000 + ++users)}`,
    async deliver(payload, opts = {}) {
      const raw = String(payload);
      const res = await h.hotro.app.inject({
        method: "POST",
        url: "/webhooks/zalo",
        headers: {
          "content-type": "application/json",
          "x-zevent-signature": sign(raw, opts.forged ? "not-the-oa-secret-key" : OA_SECRET),
        },
        payload: raw,
      });
      return res.statusCode;
    },
    sent: (user) =>
      z.sends(user).map((r): Sent => {
        const m = (r.body as SendBody).message ?? {};
        const p = m.attachment?.payload;
        const s: Sent = {
          at: r.at,
          ok: z.accepted.includes(r) && !refused.has(r),
          quickReplies: (p?.buttons ?? []).filter((b) => b.type === "oa.query.hide").map((b) => b.title),
        };
        if (m.text !== undefined) s.text = m.text;
        const image = p?.elements?.find((e) => e.media_type === "image")?.url;
        if (image) s.image = image;
        return s;
      }),
    fail(user, how) {
      if (how === "rate_limited") {
        // Zalo answers HTTP 200 with error -32; the adapter waits 1–2 × its back-off.
        refuse(z.api, refused, to(user), { body: { error: -32, message: "Rate limit" } });
        return { waitMs: RATE_LIMIT_RETRY_MS };
      }
      if (how === "permanent") {
        refuse(z.api, refused, to(user), { body: { error: -230, message: "User has not interacted in 7 days" } }, 100);
        return { waitMs: 0 };
      }
      refuse(z.api, refused, to(user), { delayMs: 5_000, body: { error: 0 } });
      return { waitMs: TIMEOUT_MS };
    },
    async close() {
      await h.close();
      await z.stop();
    },
  };
}
