import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { WebchatConfig } from "../../src/content/schema.js";
import { MediaError, type MediaPort } from "../../src/ports/media.js";
import { VISITOR_ID } from "./inbound.js";
import type { OriginPolicy, RateLimiter } from "./verify.js";
import { netOf } from "./visitors.js";

export interface UploadDeps {
  media: MediaPort;
  maxBytes: number;
  verify(visitor: string, secret: string | undefined, net: string): Promise<boolean>;
  limiter: RateLimiter;
  origins: OriginPolicy;
  log: Logger;
  text(lang: unknown, key: keyof WebchatConfig["texts"], vars?: Record<string, string | number>): string;
}

/** Types a visitor may send: what the bytes prove is a picture, a sound, a video or a document. */
const ACCEPTED = /^(image\/(jpeg|png|gif|webp)|audio\/.+|video\/.+|application\/(pdf|zip|msword|vnd\..+))$/;

/**
 * `POST /webchat/upload?name=<file name>&lang=vi`: a visitor's file, the raw bytes as the body,
 * with their id and secret in `X-Hotro-Visitor` / `X-Hotro-Secret` (the same credentials as the
 * socket's hello). Refused past the size cap as the body arrives (413), and by type once the
 * bytes are read (415); kept as this visitor's, so only their own message can attach it.
 */
export function uploadRoute(app: FastifyInstance, d: UploadDeps): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: d.maxBytes }, (_req, body, done) =>
      done(null, body),
    );
    const cors = (req: FastifyRequest, reply: FastifyReply): boolean => d.origins.answer(req, reply);
    scope.options("/webchat/upload", async (req, reply) => {
      if (!cors(req, reply)) return;
      return reply
        .header("access-control-allow-methods", "POST, OPTIONS")
        .header("access-control-allow-headers", "content-type, x-hotro-visitor, x-hotro-secret")
        .header("access-control-max-age", "600")
        .code(204)
        .send();
    });
    scope.post<{ Querystring: { name?: string; lang?: string } }>(
      "/webchat/upload",
      {
        bodyLimit: d.maxBytes,
        // Past the cap while the body arrives: the visitor is told the limit in their language.
        errorHandler: (err, req, reply) => {
          const status = (err as { statusCode?: number }).statusCode ?? 500;
          if (status === 413)
            return reply.code(413).send({
              error: "too_large",
              message: d.text(req.query.lang, "file_too_large", {
                name: req.query.name ?? "",
                max: Math.round(d.maxBytes / (1024 * 1024)),
              }),
            });
          d.log.warn({ err: (err as Error).message }, "webchat: upload failed");
          return reply.code(Math.min(status, 500)).send({ error: "failed", message: d.text(req.query.lang, "failed") });
        },
      },
      async (req, reply) => {
        if (!cors(req, reply)) return;
        const lang = req.query.lang;
        const name = typeof req.query.name === "string" ? req.query.name.slice(0, 200) : "";
        const visitor = String(req.headers["x-hotro-visitor"] ?? "");
        const secret = req.headers["x-hotro-secret"];
        if (
          !VISITOR_ID.test(visitor) ||
          !(await d.verify(visitor, typeof secret === "string" ? secret : undefined, netOf(req.ip)))
        )
          return reply.code(401).send({ error: "unknown visitor", message: d.text(lang, "failed") });
        const rate = d.limiter.take(visitor);
        if (!rate.ok)
          return reply.code(429).send({
            error: "rate_limited",
            message: d.text(lang, "rate_limited", { seconds: Math.ceil(rate.retryAfterMs / 1000) }),
          });
        const body = req.body;
        if (!Buffer.isBuffer(body) || body.length === 0)
          return reply.code(400).send({ error: "empty", message: d.text(lang, "malformed") });
        try {
          const record = await d.media.put(randomBytes(18).toString("base64url"), body, {
            ...(name ? { name } : {}),
            owner: `webchat:${visitor}`,
          });
          if (!ACCEPTED.test(record.mime)) {
            // Kept nowhere visible: the id is never given out, and retention removes the file.
            return reply.code(415).send({
              error: "unsupported",
              message: d.text(lang, "file_refused", {
                name,
                reason: d.text(lang, "attach_limits", { max: Math.round(d.maxBytes / (1024 * 1024)) }),
              }),
            });
          }
          return reply.code(201).send({
            attachment: {
              mediaId: record.id,
              type: record.kind === "sticker" ? "image" : record.kind,
              size: record.size,
              name,
            },
          });
        } catch (err) {
          if (err instanceof MediaError && err.reason === "too_large")
            return reply.code(413).send({
              error: "too_large",
              message: d.text(lang, "file_too_large", { name, max: Math.round(d.maxBytes / (1024 * 1024)) }),
            });
          throw err;
        }
      },
    );
  });
}
