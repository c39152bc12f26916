import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ActionResult, Actor } from "../../desk/actions.js";
import { QUEUES } from "../../desk/inbox.js";
import type { AuditAction } from "../../ports/audit.js";
import type { Attachment } from "../../ports/message.js";
import { PRIORITIES } from "../../ports/vocabulary.js";
import type { AppDeps } from "../app.js";
import { exportHtml } from "../console/export.js";
import { requireRole } from "./auth.js";
import { attachmentOf, withLinks } from "./media.js";

const STATUSES = ["open", "in_progress", "resolved"] as const;
/** `a,b`: several values of one filter. */
const list = <T extends string>(values: readonly T[]) =>
  z
    .string()
    .max(200)
    .transform((s) => s.split(",").filter(Boolean))
    .pipe(z.array(z.enum(values as unknown as [T, ...T[]])));

const ListQuery = z
  .object({
    queue: z.enum(QUEUES).optional(),
    status: list(STATUSES).optional(),
    priority: list(PRIORITIES).optional(),
    channel: z
      .string()
      .max(200)
      .transform((s) => s.split(",").filter(Boolean))
      .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "a channel id such as zalo")))
      .optional(),
    assignee: z.string().min(1).max(64).optional(),
    q: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    sort: z.enum(["waiting", "sla"]).optional(),
  })
  .strict();
const Named = z
  .object({ operator: z.string().min(1).max(64).optional() })
  .strict()
  .optional();
/** A reply: words, files uploaded with `POST /api/media` (their ids), or both. */
const ReplyBody = z
  .object({
    text: z
      .string()
      .max(4000)
      .transform((s) => s.trim())
      .optional(),
    attachments: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{16,64}$/))
      .max(10)
      .optional(),
    operator: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => !!b.text || !!b.attachments?.length, "a reply needs a text or a file");
const TextBody = z
  .object({
    text: z
      .string()
      .max(4000)
      .transform((s) => s.trim())
      .pipe(z.string().min(1)),
    operator: z.string().min(1).max(64).optional(),
  })
  .strict();
const AssignBody = z.object({ operator: z.string().min(1).max(64) }).strict();

function badRequest(reply: FastifyReply, issues: z.ZodError | string) {
  const error =
    typeof issues === "string" ? issues : issues.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  return reply.code(400).send({ error });
}

/**
 * Who acts. A console login acts as itself; an integration (the bearer token) may name the
 * person it acts for (`"operator": "Lan"`), as the API always allowed.
 */
function actorOf(req: FastifyRequest, named?: string): Actor {
  const who = req.operator;
  if (who?.via === "session") return { name: who.name, displayName: who.displayName };
  return { name: named ?? "api", displayName: named ?? "operator" };
}

/**
 * Requests: the inbox, one request with its transcript, the operators' actions (take,
 * assign, reply, notes, close, reopen, back to the bot), exports, and canned replies filled
 * for a request. Registered inside the guarded /api scope (operator-api.ts).
 */
export async function requestRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  const lead = { preHandler: requireRole("lead") };
  const audit = (req: FastifyRequest, action: AuditAction, target: string, detail?: Record<string, string>) =>
    d.desk.audit.record(req.operator?.name ?? "api", action, target, detail);
  const done = async (reply: FastifyReply, r: ActionResult, status = 200) => {
    if (r.ok) return reply.code(status).send({ request: r.request });
    const holder = r.status === 409 && r.request?.assignee ? await d.desk.accounts.get(r.request.assignee) : undefined;
    return reply.code(r.status).send({
      error: r.error,
      ...(r.request?.assignee ? { assignee: r.request.assignee } : {}),
      ...(holder ? { assigneeName: holder.displayName } : {}),
      ...(r.request ? { status: r.request.status } : {}),
    });
  };

  api.get("/requests", async (req, reply) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) return badRequest(reply, q.error);
    const query = Object.fromEntries(Object.entries(q.data).filter(([, v]) => v !== undefined));
    return d.desk.inbox(query, req.operator?.name ?? "");
  });

  api.get<{ Params: { id: string } }>("/requests/:id", async (req, reply) => {
    const view = await d.desk.view(req.params.id);
    if (!view) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    await audit(req, "read_transcript", req.params.id);
    return withLinks(view, d.media);
  });

  api.post<{ Params: { id: string } }>("/requests/:id/take", async (req, reply) => {
    const body = Named.safeParse(req.body ?? undefined);
    if (!body.success) return badRequest(reply, 'expected no body, or {"operator": "name"}');
    const r = await d.desk.actions.take(req.params.id, actorOf(req, body.data?.operator));
    if (r.ok) await audit(req, "take", req.params.id);
    return done(reply, r);
  });

  api.post<{ Params: { id: string } }>("/requests/:id/assign", lead, async (req, reply) => {
    const body = AssignBody.safeParse(req.body);
    if (!body.success) return badRequest(reply, 'expected {"operator": "<login name>"}');
    const to = await d.desk.accounts.get(body.data.operator);
    if (!to) return reply.code(400).send({ error: `no operator named ${body.data.operator}` });
    const r = await d.desk.actions.assign(req.params.id, to, actorOf(req));
    if (r.ok) await audit(req, "assign", req.params.id, { to: to.name });
    return done(reply, r);
  });

  api.post<{ Params: { id: string } }>("/requests/:id/reply", async (req, reply) => {
    const body = ReplyBody.safeParse(req.body);
    if (!body.success) return badRequest(reply, 'expected {"text": "…"} and/or {"attachments": ["<media id>"]}');
    const files: Attachment[] = [];
    for (const id of body.data.attachments ?? []) {
      const record = await d.media.info(id);
      if (!record) return reply.code(400).send({ error: `no uploaded file ${id}` });
      files.push(attachmentOf(record));
    }
    const r = await d.desk.actions.reply(req.params.id, body.data.text ?? "", actorOf(req, body.data.operator), files);
    if (r.ok) await audit(req, "reply", req.params.id);
    return r.ok ? reply.code(202).send({ queued: true, request: r.request }) : done(reply, r);
  });

  api.post<{ Params: { id: string } }>("/requests/:id/notes", async (req, reply) => {
    const body = TextBody.safeParse(req.body);
    if (!body.success) return badRequest(reply, 'expected {"text": "…"}');
    const r = await d.desk.actions.note(req.params.id, body.data.text, actorOf(req, body.data.operator));
    if (r.ok) await audit(req, "note", req.params.id);
    return done(reply, r, 201);
  });

  const simple = (path: string, action: AuditAction, act: (id: string, by: Actor) => Promise<ActionResult>) =>
    api.post<{ Params: { id: string } }>(`/requests/:id/${path}`, async (req, reply) => {
      const body = Named.safeParse(req.body ?? undefined);
      if (!body.success) return badRequest(reply, 'expected no body, or {"operator": "name"}');
      const r = await act(req.params.id, actorOf(req, body.data?.operator));
      if (r.ok) await audit(req, action, req.params.id);
      return done(reply, r, 202);
    });
  simple("close", "close", (id, by) => d.desk.actions.close(id, by));
  simple("reopen", "reopen", (id, by) => d.desk.actions.reopen(id, by));
  simple("back-to-bot", "back_to_bot", (id, by) => d.desk.actions.backToBot(id, by));

  api.get<{ Params: { id: string }; Querystring: { format?: string; lang?: string } }>(
    "/requests/:id/export",
    async (req, reply) => {
      const view = await d.desk.view(req.params.id);
      if (!view) return reply.code(404).send({ error: `request ${req.params.id} not found` });
      await audit(req, "export_request", req.params.id);
      const name = `${view.request.id}.${req.query.format === "html" ? "html" : "json"}`;
      if (req.query.format === "html") {
        const page = exportHtml(view, req.query.lang === "en" ? "en" : "vi", d.content.config.timezone);
        return reply
          .header("content-type", "text/html; charset=utf-8")
          .header("content-security-policy", page.csp)
          .header("content-disposition", `inline; filename="${name}"`)
          .header("cache-control", "no-store")
          .send(page.html);
      }
      return reply
        .header("content-disposition", `attachment; filename="${name}"`)
        .header("cache-control", "no-store")
        .send({ exportedAt: new Date().toISOString(), exportedBy: req.operator?.name, ...view });
    },
  );

  // Canned replies: every operator uses them; leads write them.
  api.get("/canned", async () => ({ canned: await d.desk.canned.list() }));
  api.get<{ Params: { id: string } }>("/requests/:id/canned", async (req, reply) => {
    const view = await d.desk.view(req.params.id);
    if (!view) return reply.code(404).send({ error: `request ${req.params.id} not found` });
    const me = actorOf(req);
    const canned = (await d.desk.canned.list()).map((c) => ({
      id: c.id,
      shortcut: c.shortcut,
      text: d.desk.canned.fill(c.text, view.request, {
        operator: me.displayName,
        channelName: view.channel.name,
        ...(view.lang ? { lang: view.lang } : {}),
      }),
    }));
    return { canned };
  });
  const CannedBody = z.object({ shortcut: z.string().max(40), text: z.string().max(4000) }).strict();
  const cannedError = (reply: FastifyReply, err: unknown) => {
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 404 || status === 409)
      return reply.code(status).send({ error: (err as Error).message });
    throw err;
  };
  api.post("/canned", lead, async (req, reply) => {
    const body = CannedBody.safeParse(req.body);
    if (!body.success) return badRequest(reply, 'expected {"shortcut": "chao", "text": "…"}');
    try {
      const canned = await d.desk.canned.add(body.data, actorOf(req).name);
      await d.desk.publish({ type: "canned" });
      return reply.code(201).send({ canned });
    } catch (err) {
      return cannedError(reply, err);
    }
  });
  api.put<{ Params: { id: string } }>("/canned/:id", lead, async (req, reply) => {
    const body = CannedBody.safeParse(req.body);
    if (!body.success) return badRequest(reply, 'expected {"shortcut": "chao", "text": "…"}');
    try {
      const canned = await d.desk.canned.update(req.params.id, body.data, actorOf(req).name);
      await d.desk.publish({ type: "canned" });
      return { canned };
    } catch (err) {
      return cannedError(reply, err);
    }
  });
  api.delete<{ Params: { id: string } }>("/canned/:id", lead, async (req, reply) => {
    try {
      await d.desk.canned.remove(req.params.id);
      await d.desk.publish({ type: "canned" });
      return { removed: true };
    } catch (err) {
      return cannedError(reply, err);
    }
  });
}
