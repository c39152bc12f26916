import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { channelModules } from "../../adapters/registry.js";
import { EnvError, parseEnvWith } from "../../src/config/env.js";
import type { Content } from "../../src/content/types.js";
import { channelsFromEnv } from "../../src/root/compose.js";
import type { Env } from "../../src/root/env.js";
import { shippedContent } from "../helpers/content.js";
import { FakePlatform, type Recorded, waitFor } from "../helpers/fake-platform.js";
import { harness } from "../helpers/harness.js";
import { type ChannelFixtures, type ChannelRig, refuse, runChannelContract, type Sent } from "./channel.contract.js";
import { line, lineSignature } from "./line.js";

/** The registry with one more entry: the environment, the routes and readiness all follow from it. */
const modules = [...channelModules, line];
const envShape = Object.assign({}, ...modules.map((m) => m.env)) as z.ZodRawShape;
const envWith = (vars: Record<string, string>) => parseEnvWith(envShape, { DATA_DIR: ":memory:", ...vars }) as Env;

const SECRET = "line-channel-secret-0123";
const TOKEN = "line-channel-access-token-0123";
const PUSH = "/v2/bot/message/push";

type Push = {
  to?: string;
  messages?: {
    type: string;
    text?: string;
    originalContentUrl?: string;
    quickReply?: { items: { action: { label: string } }[] };
  }[];
};

const hex = (n: number) => randomBytes(n).toString("hex");
/** A webhook delivery as the Messaging API documents it: a destination and its events. */
const delivery = (user: string, event: Record<string, unknown>) => ({
  destination: `U${"0".repeat(32)}`,
  events: [
    {
      webhookEventId: `01H${hex(12).toUpperCase()}`,
      deliveryContext: { isRedelivery: false },
      timestamp: Date.now(),
      source: { type: "user", userId: user },
      mode: "active",
      replyToken: hex(16),
      ...event,
    },
  ],
});

const lineFixtures: ChannelFixtures = {
  text: (user, text) =>
    delivery(user, { type: "message", message: { id: hex(9), type: "text", quoteToken: hex(8), text } }),
  postback: (user, payload) => delivery(user, { type: "postback", postback: { data: payload } }),
  start: (user) => delivery(user, { type: "follow", follow: { isUnblocked: false } }),
  attachment: (user) =>
    delivery(user, {
      type: "message",
      message: { id: hex(9), type: "image", quoteToken: hex(8), contentProvider: { type: "line" } },
    }),
};

/** The app built by the composition root's channelsFromEnv from the extended registry, LINE's API played locally. */
async function lineRig(content: Content): Promise<ChannelRig> {
  const api = await new FakePlatform().start();
  const refused = new Set<Recorded>();
  const env = envWith({
    LINE_CHANNEL_SECRET: SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TOKEN,
    LINE_API_URL: api.url,
    LINE_TIMEOUT_MS: "500",
  });
  const h = await harness({ content, makeChannels: (d) => channelsFromEnv(env, d, modules) });
  const adapter = h.hotro.channels.get("line");
  if (!adapter) throw new Error("LINE is not enabled");
  const to = (user: string) => (r: Recorded) => r.path === PUSH && (r.body as Push).to === user;
  return {
    h,
    adapter,
    // Messaging API: text up to 5000 characters; 13 quick reply items, labels up to 20.
    limits: { text: 5000, quickReplies: 13, quickReplyTitle: 20 },
    user: async () => `U${hex(16)}`,
    async deliver(payload, opts = {}) {
      const raw = JSON.stringify(payload);
      const signature = lineSignature(raw, opts.forged ? "not-the-channel-secret" : SECRET);
      const res = await h.hotro.app.inject({
        method: "POST",
        url: "/webhooks/line",
        headers: { "content-type": "application/json", "x-line-signature": signature },
        payload: raw,
      });
      return res.statusCode;
    },
    sent: (user) =>
      api.requests.filter(to(user)).map((r): Sent => {
        const m = (r.body as Push).messages?.[0];
        const s: Sent = {
          at: r.at,
          ok: !refused.has(r),
          quickReplies: (m?.quickReply?.items ?? []).map((i) => i.action.label),
        };
        if (m?.text !== undefined) s.text = m.text;
        if (m?.originalContentUrl) s.image = m.originalContentUrl;
        return s;
      }),
    fail(user, how) {
      if (how === "rate_limited") {
        refuse(api, refused, to(user), { status: 429, body: { message: "The API rate limit has been exceeded." } });
        return { waitMs: 1_000 };
      }
      if (how === "permanent") {
        const invalid = { message: "The property, 'to', in the request body is invalid (line 1, column 7)" };
        refuse(api, refused, to(user), { status: 400, body: invalid }, 100);
        return { waitMs: 0 };
      }
      refuse(api, refused, to(user), { delayMs: 5_000, body: {} });
      return { waitMs: 500 };
    },
    async close() {
      await h.close();
      await api.stop();
    },
  };
}

describe("a sixth channel: one module and one registry entry", () => {
  it("is enabled by its own variables, takes a signed webhook and answers through its API", async () => {
    const rig = await lineRig(shippedContent());
    try {
      expect([...rig.h.hotro.channels.keys()].sort()).toEqual(["cli", "line", "webchat"]);
      const user = await rig.user();
      expect(await rig.deliver(lineFixtures.text(user, "số hotline là gì"))).toBe(200);
      const [push] = await waitFor(() => {
        const s = rig.sent(user) as Sent[];
        return s.length > 0 && s;
      });
      expect(push?.text).toContain("1900 6868");
      expect(await rig.deliver(lineFixtures.text(user, "xin chào"), { forged: true })).toBe(401);
      const ready = await rig.h.hotro.app.inject({ url: "/readyz" });
      expect(ready.json().checks.line).toEqual({ ok: true, state: "up" });
    } finally {
      await rig.close();
    }
  });

  it("is off without its variables, and the log says what to set", async () => {
    const env = envWith({});
    const h = await harness({ makeChannels: (d) => channelsFromEnv(env, d, modules) });
    try {
      expect(h.hotro.channels.has("line")).toBe(false);
      expect(h.logs.join("")).toContain(
        "line disabled: set LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN to enable it",
      );
    } finally {
      await h.close();
    }
  });

  it("a malformed variable of its own stops start-up, naming it", () => {
    expect(() => envWith({ LINE_TIMEOUT_MS: "soon" })).toThrow(EnvError);
    expect(() => envWith({ LINE_TIMEOUT_MS: "soon" })).toThrow(/LINE_TIMEOUT_MS/);
  });
});

runChannelContract({ name: "line", make: lineRig, fixtures: lineFixtures });
