import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * In this plugin scope only (each channel's routes are their own fastify plugin), keep
 * request bodies as the exact bytes received, whatever the content type says: platforms
 * sign those bytes (Meta's `X-Hub-Signature-256`, Zalo's `X-ZEvent-Signature`), and parsing
 * first would lose them (`\u00e4`, `\/` escapes, 19-digit ids).
 */
export function keepRawBodies(app: FastifyInstance): void {
  const keep = (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  // fastify has its own parsers for these two; `*` covers every other type.
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, keep);
  app.addContentTypeParser("text/plain", { parseAs: "buffer" }, keep);
  app.addContentTypeParser("*", { parseAs: "buffer" }, keep);
}

/** The bytes `keepRawBodies` kept (empty when there was no body). */
export function rawBody(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
