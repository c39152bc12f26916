import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Person } from "../../ports/people.js";
import type { AppDeps } from "../app.js";
import { requireRole } from "./auth.js";

const PersonParams = z
  .object({
    channel: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "a channel id such as zalo"),
    userId: z.string().min(1).max(200),
  })
  .strict();
const AuditQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(5000).optional(),
    download: z.enum(["1", "true"]).optional(),
  })
  .strict();

function personOf(req: FastifyRequest, reply: FastifyReply): Person | undefined {
  const p = PersonParams.safeParse(req.params);
  if (!p.success) {
    void reply.code(400).send({ error: p.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    return undefined;
  }
  return p.data;
}

/**
 * A person's data (export, erasure) for leads and admins, and the audit trail for admins
 * (SPEC.md: `GET /api/people/:channel/:userId/export`, `DELETE /api/people/:channel/:userId`,
 * `GET /api/audit`). Inside the guarded /api scope: a console session's DELETE needs the
 * CSRF header like every write.
 */
export async function peopleRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  const lead = { preHandler: requireRole("lead") };
  const admin = { preHandler: requireRole("admin") };
  const by = (req: FastifyRequest) => req.operator?.name ?? "api";

  api.get("/people/:channel/:userId/export", lead, async (req, reply) => {
    const p = personOf(req, reply);
    if (!p) return reply;
    const data = await d.desk.people.export(p, by(req));
    return reply
      .header("content-disposition", `attachment; filename="${p.channel}-${p.userId.replace(/[^\w.-]/g, "_")}.json"`)
      .header("cache-control", "no-store")
      .send(data);
  });

  api.delete("/people/:channel/:userId", lead, async (req, reply) => {
    const p = personOf(req, reply);
    if (!p) return reply;
    const erased = await d.desk.people.erase(p, by(req));
    req.log.info({ channel: p.channel, requests: erased.requests.length, by: by(req) }, "person's data erased");
    return { erased };
  });

  api.get("/audit", admin, async (req, reply) => {
    const q = AuditQuery.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: "expected ?after=<seq>&limit=<n>&download=1" });
    const entries = await d.desk.audit.list({
      ...(q.data.after !== undefined ? { afterSeq: q.data.after } : {}),
      limit: q.data.limit ?? 500,
    });
    const verify = await d.desk.audit.verify();
    await d.desk.audit.record(by(req), "audit_read", undefined, { entries: entries.length });
    if (q.data.download) reply.header("content-disposition", 'attachment; filename="audit.json"');
    return reply.header("cache-control", "no-store").send({ entries, verify });
  });
}
