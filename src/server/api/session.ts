import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { viewOf } from "../../desk/accounts.js";
import type { AppDeps } from "../app.js";
import { SESSION_COOKIE } from "./auth.js";

const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }).strict();

function cookieOptions(req: FastifyRequest, maxAgeSeconds: number) {
  return {
    path: "/api",
    httpOnly: true,
    sameSite: "strict" as const,
    // Over HTTPS (directly, or `X-Forwarded-Proto: https` from a proxy TRUST_PROXY names) the
    // browser keeps it for HTTPS only.
    secure: req.protocol === "https",
    maxAge: maxAgeSeconds,
  };
}

/**
 * `POST /api/login`: the one /api route that answers without credentials (it is how they are
 * obtained). Registered outside the guarded scope on purpose; everything else is inside it.
 */
export async function loginRoute(api: FastifyInstance, d: AppDeps): Promise<void> {
  api.post("/login", async (req, reply) => {
    const body = LoginBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'expected {"username": "…", "password": "…"}' });
    const r = await d.desk.sessions.login(body.data.username, body.data.password, req.ip);
    if (!r.ok && r.status === 429) {
      req.log.warn({ ip: req.ip }, "console: too many failed logins, refused for now");
      return reply
        .code(429)
        .header("retry-after", String(Math.ceil(r.retryAfterMs / 1000)))
        .send({ error: "too many failed logins: try again later", retryAfterMs: r.retryAfterMs });
    }
    if (!r.ok) {
      req.log.info("console: failed login");
      await d.desk.audit.record(body.data.username.toLowerCase().slice(0, 64), "login_failed");
      return reply.code(401).send({ error: "wrong username or password" });
    }
    req.log.info({ operator: r.account.name }, "console: login");
    await d.desk.audit.record(r.account.name, "login");
    return reply
      .setCookie(SESSION_COOKIE, r.token, cookieOptions(req, Math.floor(d.desk.sessions.limits.maxMs / 1000)))
      .header("cache-control", "no-store")
      .send({ operator: viewOf(r.account), csrf: r.csrf });
  });
}

/** `POST /api/logout` and `GET /api/me`, inside the guarded scope. */
export async function sessionRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  api.post("/logout", async (req, reply: FastifyReply) => {
    if (req.consoleSession) {
      await d.desk.sessions.logout(req.consoleSession.tokenHash);
      await d.desk.audit.record(req.consoleSession.account.name, "logout");
    }
    return reply.clearCookie(SESSION_COOKIE, cookieOptions(req, 0)).send({ ok: true });
  });

  api.get("/me", async (req, reply) => {
    const who = req.operator;
    if (!who) return reply.code(401).send({ error: "not logged in" });
    // The console reloads with its cookie and asks for the CSRF value again: a page of another
    // site cannot read this answer (no CORS), and SameSite=Strict keeps the cookie off its requests.
    return reply.header("cache-control", "no-store").send({
      operator: { name: who.name, displayName: who.displayName, role: who.role, via: who.via },
      ...(req.consoleSession ? { csrf: req.consoleSession.csrf } : {}),
    });
  });
}
