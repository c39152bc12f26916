import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { learnedPath } from "../../content/learned.js";
import { localTime } from "../../engine/hours.js";
import { GAP_DECISIONS, type GapDecision, groupGaps } from "../../quality/gaps.js";
import { addLearnedExamples } from "../../quality/learn.js";
import { statsFor } from "../../quality/report.js";
import { statsCsv } from "../../quality/stats.js";
import type { AppDeps } from "../app.js";
import { requireRole } from "./auth.js";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a local date, YYYY-MM-DD");
const Range = z
  .object({ from: Day.optional(), to: Day.optional(), format: z.enum(["json", "csv"]).optional() })
  .strict();
const Decide = z.discriminatedUnion("action", [
  z.object({ action: z.literal("example"), intent: z.string().min(1).max(100) }).strict(),
  z.object({ action: z.literal("new_intent") }).strict(),
  z.object({ action: z.literal("ignored") }).strict(),
]);

const MAX_DAYS = 370;

/** `from`/`to` as local days (inclusive); the last seven days by default. */
function range(q: z.infer<typeof Range>, timeZone: string, now: number): { from: string; to: string } | string {
  const to = q.to ?? localTime(new Date(now), timeZone).date;
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  if (!(span >= 0)) return "from must not be after to";
  if (span > MAX_DAYS) return `at most ${MAX_DAYS} days at once`;
  return { from, to };
}

const bad = (reply: FastifyReply, error: string) => reply.code(400).send({ error });

/**
 * The quality loop for leads: the desk's figures (`GET /api/stats`, JSON or CSV), the
 * content gaps and what to do with them, and the leads' notices.
 */
export async function qualityRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  const lead = { preHandler: requireRole("lead") };

  api.get("/stats", lead, async (req, reply) => {
    const q = Range.safeParse(req.query);
    if (!q.success) return bad(reply, q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const r = range(q.data, d.content.config.timezone, Date.now());
    if (typeof r === "string") return bad(reply, r);
    const stats = await statsFor(d.backend, d.content.config, r.from, r.to);
    if (q.data.format === "csv")
      return reply
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="hotro-stats-${r.from}-${r.to}.csv"`)
        .send(statsCsv(stats));
    return stats;
  });

  api.get("/gaps", lead, async (req, reply) => {
    const q = Range.safeParse(req.query);
    if (!q.success) return bad(reply, "expected from/to as YYYY-MM-DD");
    // All gaps seen so far unless a range is asked for: a question keeps its group over time.
    const lo = q.data.from ? Date.parse(`${q.data.from}T00:00:00Z`) - 86_400_000 : 0;
    const hi = q.data.to ? Date.parse(`${q.data.to}T00:00:00Z`) + 2 * 86_400_000 : Date.now() + 86_400_000;
    const events = await d.backend.quality.between("gap", lo, hi);
    const decisions = ((await d.backend.kv.get(GAP_DECISIONS)) as GapDecision[] | undefined) ?? [];
    // The intents a group can be added to, for the console's picker.
    return { groups: groupGaps(events, decisions), intents: Object.keys(d.content.flows.intents).sort() };
  });

  api.post<{ Params: { id: string } }>("/gaps/:id", lead, async (req, reply) => {
    const body = Decide.safeParse(req.body);
    if (!body.success)
      return bad(
        reply,
        'expected {"action": "example", "intent": "<id>"}, {"action": "new_intent"} or {"action": "ignored"}',
      );
    const events = await d.backend.quality.between("gap", 0, Date.now() + 86_400_000);
    const group = groupGaps(events).find((g) => g.id === req.params.id);
    if (!group) return reply.code(404).send({ error: `no content gap ${req.params.id}` });
    const by = req.operator?.name ?? "api";
    const text = group.examples[0] ?? "";
    let decision: GapDecision;
    let learned: number | undefined;
    if (body.data.action === "example") {
      const intent = body.data.intent;
      if (!d.content.flows.intents[intent]) return bad(reply, `no intent ${intent}`);
      const path = learnedPath(d.env.DATA_DIR);
      if (!path)
        return reply.code(409).send({ error: "examples are kept in DATA_DIR, and this server has none on disk" });
      learned = await d.backend.withLock("quality:learned", 30_000, async () =>
        addLearnedExamples(
          path,
          intent,
          group.examples.map((t) => ({ text: t, lang: d.matcher.language(t) ?? "vi" })),
        ),
      );
      // Retrained from the overlay at once, on every process, without a restart.
      const r = await d.reload({ broadcast: true });
      if (!r.ok)
        return reply
          .code(500)
          .send({ error: "the examples were written but the content did not reload", problems: r.problems });
      decision = { action: "example", intent, tokens: group.tokens, by, at: Date.now(), text };
    } else {
      decision = { action: body.data.action, tokens: group.tokens, by, at: Date.now(), text };
    }
    await d.backend.withLock("quality:gap-decisions", 10_000, async () => {
      const all = ((await d.backend.kv.get(GAP_DECISIONS)) as GapDecision[] | undefined) ?? [];
      await d.backend.kv.set(GAP_DECISIONS, [...all, decision].slice(-5000));
    });
    return { group: { ...group, decision }, ...(learned !== undefined ? { learned } : {}) };
  });

  api.get<{ Querystring: { since?: string } }>("/notices", lead, async (req) => {
    // The latest hundred, newest first (from `since`, ms, when given).
    const since = Number(req.query.since ?? 0) || 0;
    const events = await d.backend.quality.between("notice", since, Number.MAX_SAFE_INTEGER);
    return {
      notices: events
        .slice(-100)
        .map((e) => e.data)
        .reverse(),
    };
  });
}
