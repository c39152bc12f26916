import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../app.js";

const ListQuery = z
  .object({
    status: z.enum(["open", "in_progress", "resolved"]).optional(),
    priority: z.enum(["low", "normal", "high", "urgent"]).optional(),
    channel: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,31}$/, "a channel id such as zalo")
      .optional(),
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

/** The name shown to the user: a console login acts as itself; an integration may name its person. */
function actingName(req: FastifyRequest, named: string | undefined): string {
  if (req.operator?.via === "session") return req.operator.displayName;
  return named ?? "operator";
}

/**
 * Requests: list, read one with its transcript, reply, close. Replies and closes travel the
 * same path as an operator's message in the Telegram group: a control event in the user's
 * conversation. Registered inside the guarded /api scope (operator-api.ts).
 */
export async function requestRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  api.get("/requests", async (req, reply) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success)
      return reply.code(400).send({ error: q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    return { requests: await d.backend.requests.list(q.data) };
  });

  api.get<{ Params: { id: string } }>("/requests/:id", async (req, reply) => {
    const request = await d.backend.requests.get(req.params.id);
    if (!request) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    return { request, transcript: await d.backend.requests.transcript(request.id) };
  });

  api.post<{ Params: { id: string } }>("/requests/:id/reply", async (req, reply) => {
    const body = ReplyBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected {"text": "…", "operator": "name"}' });
    const request = await d.backend.requests.get(req.params.id);
    if (!request) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    if (request.status === "resolved") return reply.code(409).send({ error: `request ${request.id} is resolved` });
    await d.runtime.control(
      request.conv,
      {
        kind: "operator_message",
        requestId: request.id,
        operator: actingName(req, body.data.operator),
        text: body.data.text,
      },
      `api:${randomUUID()}`,
    );
    return reply.code(202).send({ queued: true });
  });

  api.post<{ Params: { id: string } }>("/requests/:id/close", async (req, reply) => {
    const body = CloseBody.safeParse(req.body ?? undefined);
    if (!body.success) return reply.code(400).send({ error: 'expected {"operator": "name"} or no body' });
    const request = await d.backend.requests.get(req.params.id);
    if (!request) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    await d.runtime.control(
      request.conv,
      { kind: "request_closed", requestId: request.id, operator: actingName(req, body.data?.operator) },
      `api:${randomUUID()}`,
    );
    return reply.code(202).send({ queued: true });
  });
}
