import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { AccountError } from "../../desk/accounts.js";
import type { AppDeps } from "../app.js";
import { requireRole } from "./auth.js";

const NewOperator = z
  .object({
    name: z.string().min(1).max(64),
    role: z.string().min(1).max(16),
    password: z.string().min(1).max(1024),
    displayName: z.string().min(1).max(64).optional(),
  })
  .strict();
const ChangeOperator = z
  .object({ role: z.string().min(1).max(16).optional(), password: z.string().min(1).max(1024).optional() })
  .strict();

function refuse(reply: FastifyReply, err: unknown) {
  if (!(err instanceof AccountError)) throw err;
  return reply.code(err.code === "exists" ? 409 : err.code === "missing" ? 404 : 400).send({ error: err.message });
}

/**
 * Operators: everyone may list them (the assign menu, who is online); only admins add,
 * change and remove them (`npm run operator` does the same from a shell).
 */
export async function operatorRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  const admin = { preHandler: requireRole("admin") };

  api.get("/operators", async () => ({ operators: await d.desk.accounts.list() }));

  api.post("/operators", admin, async (req, reply) => {
    const body = NewOperator.safeParse(req.body);
    if (!body.success)
      return reply.code(400).send({ error: 'expected {"name", "role", "password"} and optionally "displayName"' });
    try {
      const operator = await d.desk.accounts.add(body.data);
      await d.desk.audit.record(req.operator?.name ?? "api", "operator_add", operator.name, { role: operator.role });
      return reply.code(201).send({ operator });
    } catch (err) {
      return refuse(reply, err);
    }
  });

  api.patch<{ Params: { name: string } }>("/operators/:name", admin, async (req, reply) => {
    const body = ChangeOperator.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected {"role"} and/or {"password"}' });
    try {
      let ended = 0;
      if (body.data.password) ended = await d.desk.accounts.setPassword(req.params.name, body.data.password);
      if (body.data.role) await d.desk.accounts.setRole(req.params.name, body.data.role);
      const operator = await d.desk.accounts.get(req.params.name);
      if (!operator) return reply.code(404).send({ error: `no operator named ${req.params.name}` });
      await d.desk.audit.record(req.operator?.name ?? "api", "operator_change", operator.name, {
        role: operator.role,
        password: !!body.data.password,
      });
      return { operator, loginsEnded: ended };
    } catch (err) {
      return refuse(reply, err);
    }
  });

  api.delete<{ Params: { name: string } }>("/operators/:name", admin, async (req, reply) => {
    try {
      const loginsEnded = await d.desk.accounts.remove(req.params.name);
      await d.desk.audit.record(req.operator?.name ?? "api", "operator_remove", req.params.name);
      return { removed: true, loginsEnded };
    } catch (err) {
      return refuse(reply, err);
    }
  });
}
