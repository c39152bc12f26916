import { randomUUID, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { CHANNELS } from "../model/message.js";
import type { AppDeps } from "./app.js";

const ListQuery = z
  .object({
    status: z.enum(["open", "in_progress", "resolved"]).optional(),
    priority: z.enum(["low", "normal", "high", "urgent"]).optional(),
    channel: z.enum(CHANNELS).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
const ReplyBody = z
  .object({ text: z.string().min(1).max(4000), operator: z.string().min(1).max(64).optional() })
  .strict();
const CloseBody = z
  .object({ operator: z.string().min(1).max(64).optional() })
  .strict()
  .optional();

function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith("Bearer ")) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The operator HTTP API under /api (bearer OPERATOR_API_TOKEN): list requests, read one
 * with its transcript, reply, close. Replies and closes travel the same path as an
 * operator's message in the Telegram group: a control event in the user's conversation.
 */
export async function operatorApi(app: FastifyInstance, d: AppDeps): Promise<void> {
  const token = d.env.OPERATOR_API_TOKEN;
  if (!token) d.log.info("operator API disabled: set OPERATOR_API_TOKEN to enable /api");
  app.addHook("onRequest", async (req, reply) => {
    if (!req.url.startsWith("/api/")) return;
    if (!bearerMatches(req.headers.authorization, token)) {
      return reply.code(401).send({
        error: token ? "missing or wrong bearer token" : "the operator API is disabled (OPERATOR_API_TOKEN is not set)",
      });
    }
  });

  app.get("/api/requests", async (req, reply) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success)
      return reply.code(400).send({ error: q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    return { requests: await d.backend.requests.list(q.data) };
  });

  app.get<{ Params: { id: string } }>("/api/requests/:id", async (req, reply) => {
    const request = await d.backend.requests.get(req.params.id);
    if (!request) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    return { request, transcript: await d.backend.requests.transcript(request.id) };
  });

  app.post<{ Params: { id: string } }>("/api/requests/:id/reply", async (req, reply) => {
    const body = ReplyBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected {"text": "…", "operator": "name"}' });
    const request = await d.backend.requests.get(req.params.id);
    if (!request) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    if (request.status === "resolved") return reply.code(409).send({ error: `request ${request.id} is resolved` });
    const operator = body.data.operator ?? "operator";
    await d.runtime.control(
      request.conv,
      { kind: "operator_message", requestId: request.id, operator, text: body.data.text },
      `api:${randomUUID()}`,
    );
    return reply.code(202).send({ queued: true });
  });

  app.post<{ Params: { id: string } }>("/api/requests/:id/close", async (req, reply) => {
    const body = CloseBody.safeParse(req.body ?? undefined);
    if (!body.success) return reply.code(400).send({ error: 'expected {"operator": "name"} or no body' });
    const request = await d.backend.requests.get(req.params.id);
    if (!request) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    const operator = body.data?.operator ?? "operator";
    await d.runtime.control(
      request.conv,
      { kind: "request_closed", requestId: request.id, operator },
      `api:${randomUUID()}`,
    );
    return reply.code(202).send({ queued: true });
  });
}
