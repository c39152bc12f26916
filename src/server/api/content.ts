import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../app.js";
import { requireRole } from "./auth.js";

/**
 * `POST /api/content/reload` (admins): load config/ and flows/ again on every process, as
 * SIGHUP does. 200 with the number of intents, or 422 with the problems (`file:line:
 * message`) while the old content keeps answering.
 */
export async function contentRoutes(api: FastifyInstance, reload: AppDeps["reload"]): Promise<void> {
  api.post("/content/reload", { preHandler: requireRole("admin") }, async (_req, reply) => {
    const r = await reload({ broadcast: true });
    return reply.code(r.ok ? 200 : 422).send(r);
  });
}
