import type { FastifyReply, FastifyRequest } from "fastify";
import type { Desk } from "../../desk/desk.js";
import { type ActiveSession, ConsoleSessions } from "../../desk/sessions.js";
import type { OperatorRole } from "../../ports/desk.js";
import { secretEquals } from "../../security/compare.js";

export type { OperatorRole };

/** Who is calling the operator API, as the route handlers see it. */
export interface OperatorIdentity {
  /** The login name (`api` for the integration token). */
  name: string;
  /** How users and colleagues see them. */
  displayName: string;
  role: OperatorRole;
  /** `token`: the integration bearer (OPERATOR_API_TOKEN); `session`: a console login. */
  via: "token" | "session";
}

declare module "fastify" {
  interface FastifyRequest {
    operator?: OperatorIdentity;
    /** The console login behind `operator`, when it came with the session cookie. */
    consoleSession?: ActiveSession;
  }
}

/** The console's session cookie: HttpOnly, SameSite=Strict, for /api only. */
export const SESSION_COOKIE = "hotro_console";

/** One way to prove who you are; undefined when this request does not carry it. */
export type Authenticator = (req: FastifyRequest) => Promise<OperatorIdentity | undefined>;

/**
 * `Authorization: Bearer $OPERATOR_API_TOKEN`, for integrations: it acts with every right
 * (an admin), so it is compared in constant time and never logged.
 */
export function bearerAuthenticator(token: string | undefined): Authenticator {
  return async (req) => {
    const h = req.headers.authorization;
    if (!token || typeof h !== "string" || !/^bearer /i.test(h)) return undefined;
    return secretEquals(h.slice(7).trim(), token)
      ? { name: "api", displayName: "API", role: "admin", via: "token" }
      : undefined;
  };
}

/** The console's login cookie (read by @fastify/cookie, registered in the /api scope). */
export function sessionAuthenticator(desk: Desk): Authenticator {
  return async (req) => {
    const token = (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];
    const s = await desk.sessions.resolve(token);
    if (!s) return undefined;
    req.consoleSession = s;
    return {
      name: s.account.name,
      displayName: s.account.displayName ?? s.account.name,
      role: s.account.role,
      via: "session",
    };
  };
}

/**
 * The `onRequest` hook of the /api scope: every route registered in that scope (and its
 * not-found handler) runs it, whatever spelling of the path reached the route, because it is
 * attached to the routes, not compared with the URL.
 */
export function requireOperator(authenticators: Authenticator[], whenNone: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    for (const a of authenticators) {
      const who = await a(req);
      if (who) {
        req.operator = who;
        return;
      }
    }
    await reply.code(401).send({ error: whenNone });
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * After `requireOperator`: a write made with the session cookie must also carry the login's
 * CSRF token in `X-CSRF-Token` (a cookie is sent by the browser on its own; the header only by
 * the console's own script). The bearer token is never ambient, so it needs none.
 */
export async function requireCsrf(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const s = req.consoleSession;
  if (!s || req.operator?.via !== "session" || SAFE_METHODS.has(req.method)) return;
  if (!ConsoleSessions.csrfMatches(req.headers["x-csrf-token"], s)) {
    await reply.code(403).send({ error: "missing or wrong X-CSRF-Token (the csrf value of the login)" });
  }
}

const RANK: Record<OperatorRole, number> = { agent: 0, lead: 1, admin: 2 };

/** A role check for one route (`preHandler`): this role or a higher one (agent < lead < admin). */
export function requireRole(least: OperatorRole) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!req.operator || RANK[req.operator.role] < RANK[least]) {
      await reply.code(403).send({ error: `this needs the role ${least}${least === "admin" ? "" : " or higher"}` });
    }
  };
}

/**
 * Whether a path no route matched would read as the operator API once fully decoded and
 * tidied (`/api%2Frequests`, `/%2Fapi/…`): those get 401 like the API itself, so nobody can
 * tell spellings apart by the answer. This only chooses how to refuse; it grants nothing.
 */
export function looksLikeApi(url: string): boolean {
  let path = url.split("?")[0] ?? "";
  for (let i = 0; i < 3 && path.includes("%"); i++) {
    try {
      path = decodeURIComponent(path);
    } catch {
      break;
    }
  }
  path = path.replace(/\\/g, "/").replace(/\/+/g, "/").toLowerCase();
  return path === "/api" || path.startsWith("/api/");
}
