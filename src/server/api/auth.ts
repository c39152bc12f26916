import type { FastifyReply, FastifyRequest } from "fastify";
import { secretEquals } from "../../security/compare.js";

export type OperatorRole = "agent" | "lead" | "admin";

/** Who is calling the operator API, as the route handlers see it. */
export interface OperatorIdentity {
  name: string;
  role: OperatorRole;
  /** `token`: the integration bearer (OPERATOR_API_TOKEN); `session`: a console login. */
  via: "token" | "session";
}

declare module "fastify" {
  interface FastifyRequest {
    operator?: OperatorIdentity;
  }
}

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
    return secretEquals(h.slice(7).trim(), token) ? { name: "api", role: "admin", via: "token" } : undefined;
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

/** A role check for one route (`preHandler`), after `requireOperator` said who is calling. */
export function requireRole(...roles: OperatorRole[]) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!req.operator || !roles.includes(req.operator.role)) {
      await reply.code(403).send({ error: `this needs the role ${roles.join(" or ")}` });
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
