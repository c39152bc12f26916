import { signatureFor } from "../../adapters/messenger/verify.js";
import type { Content } from "../../src/content/types.js";
import { type ChannelFixtures, type ChannelRig, refuse, type Sent } from "../contracts/channel.contract.js";
import type { Recorded } from "../helpers/fake-platform.js";
import { delivery, graphError, isSendTo, item, rig, SEND_PATH, userMessage } from "./setup.js";

const TIMEOUT_MS = 500;

type SendBody = {
  message?: {
    text?: string;
    quick_replies?: { title: string }[];
    attachment?: { type: string; payload: { url?: string; text?: string } };
  };
};

let mids = 0;
const mid = () => `m_contract_${++mids}_${Date.now()}`;

/** Webhook deliveries as Meta documents them (test/messenger/setup.ts). */
export const messengerFixtures: ChannelFixtures = {
  text: (user, text) => delivery([userMessage(user, text)]),
  postback: (user, payload) => delivery([item(user, { postback: { mid: mid(), title: "Chọn", payload } })]),
  // Get Started tapped from an m.me/<page>?ref= link: a first contact with its referral.
  start: (user) =>
    delivery([
      item(user, {
        postback: {
          mid: mid(),
          title: "Get Started",
          payload: "GET_STARTED",
          referral: { ref: "fanpage", source: "SHORTLINK", type: "OPEN_THREAD" },
        },
      }),
    ]),
  attachment: (user) =>
    delivery([
      item(user, {
        message: {
          mid: mid(),
          attachments: [{ type: "image", payload: { url: "https://scontent.xx.fbcdn.net/v/anh-loi.jpg" } }],
        },
      }),
    ]),
};

let psids = 0;

/** The Messenger channel in the app, against a local Graph API (test/messenger/setup.ts). */
export async function messengerRig(content: Content): Promise<ChannelRig> {
  const r = await rig({ content, adapter: { timeoutMs: TIMEOUT_MS } });
  const refused = new Set<Recorded>();
  const shows = (user: string) => (q: Recorded) => isSendTo(user)(q) && (q.body as SendBody).message !== undefined;
  return {
    h: r.h,
    adapter: r.adapter,
    // Send API: text "has a 2000 character limit"; up to 13 quick replies, titles up to 20 characters.
    limits: { text: 2000, quickReplies: 13, quickReplyTitle: 20 },
    user: async () => `7100${String(++psids).padStart(8, "0")}`,
    async deliver(payload, opts = {}) {
      const raw = JSON.stringify(payload);
      return (await r.post(raw, opts.forged ? signatureFor(raw, "NOT_THE_APP_SECRET") : undefined)).statusCode;
    },
    sent: (user) =>
      r.fake.requests.filter(shows(user)).map((q): Sent => {
        const m = (q.body as SendBody).message ?? {};
        const s: Sent = { at: q.at, ok: !refused.has(q), quickReplies: (m.quick_replies ?? []).map((x) => x.title) };
        const text = m.text ?? (m.attachment?.type === "template" ? m.attachment.payload.text : undefined);
        if (text !== undefined) s.text = text;
        if (m.attachment?.type === "image" && m.attachment.payload.url) s.image = m.attachment.payload.url;
        return s;
      }),
    fail(user, how) {
      if (how === "rate_limited") {
        // (#613) Calls to this api have exceeded the rate limit: the adapter pauses a second.
        refuse(r.fake, refused, shows(user), graphError(613));
        return { waitMs: 1_000 };
      }
      if (how === "permanent") {
        // (#10) 2018278: the message is sent outside the allowed window.
        refuse(r.fake, refused, shows(user), graphError(10, 2018278), 100);
        return { waitMs: 0 };
      }
      refuse(r.fake, refused, (q) => q.path === SEND_PATH && isSendTo(user)(q), { delayMs: 5_000, body: {} });
      return { waitMs: TIMEOUT_MS };
    },
    close: () => r.close(),
  };
}
