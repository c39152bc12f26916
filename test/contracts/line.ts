import { createHmac } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type ChannelModule, missing } from "../../adapters/module.js";
import { keepRawBodies, rawBody } from "../../adapters/shared/raw-body.js";
import { asArray, asRecord, readId, readNumber, readString, readText } from "../../adapters/shared/read.js";
import { optional } from "../../src/config/env.js";
import type { ChannelCapabilities } from "../../src/ports/capabilities.js";
import type { ChannelAdapter, ChannelDeps, ChannelHealth, Intake } from "../../src/ports/channel.js";
import type { InboundEvent, OutboundMessage } from "../../src/ports/message.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { secretEquals } from "../../src/security/compare.js";

/**
 * A sixth channel, LINE, as a channel folder would hold it (env, verify, inbound, outbound,
 * channel, index), squeezed into one file: what it takes to add a platform is a ChannelModule
 * and one registry entry. Small on purpose: text, postbacks, follows and pictures in; text,
 * quick replies and images out, through the Messaging API's push endpoint.
 */

export const lineEnv = {
  LINE_CHANNEL_SECRET: optional(z.string().min(8)),
  LINE_CHANNEL_ACCESS_TOKEN: optional(z.string().min(8)),
  LINE_API_URL: z.string().url().default("https://api.line.me"),
  LINE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};
type LineEnv = z.infer<z.ZodObject<typeof lineEnv>>;

/** Messaging API limits: 5000 characters of text, 13 quick replies labelled in 20 characters. */
export const LINE_CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 5000,
  maxQuickReplies: 13,
  maxQuickReplyTitle: 20,
  // Buttons need a template message: this small adapter shows them as quick replies and lines.
  maxButtons: 0,
  maxButtonTitle: 20,
  buttonTypes: [],
  maxTextWithButtons: 5000,
  quickRepliesWithButtons: true,
  images: true,
  typing: false,
};

/** `x-line-signature`: base64 HMAC-SHA256 of the raw body with the channel secret. */
export const lineSignature = (raw: Buffer | string, secret: string) =>
  createHmac("sha256", secret).update(raw).digest("base64");

/** One webhook event → ours; only one-to-one chats with a user are conversations. */
function eventOf(v: unknown): InboundEvent | undefined {
  const e = asRecord(v);
  const source = asRecord(e?.source);
  const userId = readId(source?.userId);
  const id = readId(e?.webhookEventId);
  if (!e || readString(source?.type) !== "user" || !userId || !id) return undefined;
  const base = { id: `line:${id}`, channel: "line", userId, timestamp: readNumber(e.timestamp) ?? Date.now() };
  const type = readString(e.type);
  if (type === "follow") return { ...base, kind: "start" };
  if (type === "postback") {
    const payload = readText(asRecord(e.postback)?.data);
    return payload ? { ...base, kind: "postback", payload } : undefined;
  }
  const m = asRecord(e.message);
  if (type !== "message" || !m) return undefined;
  const kind = readString(m.type);
  if (kind === "text") {
    const text = readText(m.text);
    return text ? { ...base, kind: "message", text } : undefined;
  }
  const media = { image: "image", video: "video", audio: "audio", file: "file" } as const;
  const t = media[kind as keyof typeof media];
  const fileId = readId(m.id);
  return t && fileId ? { ...base, kind: "message", attachments: [{ type: t, fileId }] } : undefined;
}

/** One rendered message → one Messaging API message object. */
function toLine(m: OutboundMessage): Record<string, unknown> {
  if (m.image) return { type: "image", originalContentUrl: m.image.url, previewImageUrl: m.image.url };
  const out: Record<string, unknown> = { type: "text", text: m.text ?? "" };
  if (m.quickReplies?.length) {
    out.quickReply = {
      items: m.quickReplies.map((q) => ({
        type: "action",
        action: { type: "postback", label: q.label, data: q.payload, displayText: q.label },
      })),
    };
  }
  return out;
}

export class LineChannel implements ChannelAdapter {
  readonly id = "line";
  readonly name = "LINE";
  readonly capabilities = LINE_CAPABILITIES;

  constructor(
    private readonly env: LineEnv,
    private readonly deps: ChannelDeps,
  ) {}

  routes(app: FastifyInstance, intake: Intake): void {
    keepRawBodies(app);
    app.post("/webhooks/line", async (req, reply) => {
      const raw = rawBody(req);
      const secret = this.env.LINE_CHANNEL_SECRET ?? "";
      if (!secretEquals(req.headers["x-line-signature"], lineSignature(raw, secret)))
        return reply.code(401).send({ error: "bad signature" });
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return reply.code(400).send({ error: "not JSON" });
      }
      const events = asArray(asRecord(body)?.events)
        .map(eventOf)
        .filter((e): e is InboundEvent => !!e);
      await intake.accept(events);
      return reply.send({});
    });
  }

  async send(job: SendJob): Promise<SendOutcome> {
    try {
      const res = await fetch(`${this.env.LINE_API_URL}/v2/bot/message/push`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.env.LINE_CHANNEL_ACCESS_TOKEN}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ to: job.userId, messages: [toLine(job.message)] }),
        signal: AbortSignal.timeout(this.env.LINE_TIMEOUT_MS),
      });
      const said = await res.text().catch(() => "");
      if (res.ok) return { ok: true };
      const error = `LINE answered HTTP ${res.status}: ${said.slice(0, 200)}`;
      if (res.status === 429) return { ok: false, permanent: false, error, retryAfterMs: 1_000 };
      return { ok: false, permanent: res.status < 500, error };
    } catch (err) {
      this.deps.log.debug({ err }, "line: push failed");
      return { ok: false, permanent: false, error: `LINE unreachable: ${(err as Error).message}` };
    }
  }

  health(): ChannelHealth {
    return { ok: true };
  }
}

/** The folder's index.ts: the module the registry lists. */
export const line: ChannelModule<typeof lineEnv> = {
  id: "line",
  env: lineEnv,
  off: (env) => missing(env, ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"]),
  create: (env, deps) => new LineChannel(env, deps),
};
