import type { FastifyInstance } from "fastify";
import { bearerAuthenticator, requireOperator } from "./api/auth.js";
import { contentRoutes } from "./api/content.js";
import { requestRoutes } from "./api/requests.js";
import type { AppDeps } from "./app.js";

/**
 * The operator API under /api. Every route lives in one encapsulated fastify scope whose
 * `onRequest` hook authenticates the caller, so a route added here cannot be left
 * unguarded and no spelling of the path (`/%61pi/…`, `//api`, `/API/`, a trailing slash)
 * reaches a handler without credentials: the router decodes and matches first, then the
 * route's own hooks run.
 */
export async function operatorApi(app: FastifyInstance, d: AppDeps): Promise<void> {
  const token = d.env.OPERATOR_API_TOKEN;
  if (!token) d.log.info("operator API: no OPERATOR_API_TOKEN set, so no integration can call /api");
  const authenticators = [bearerAuthenticator(token)];
  const whenNone = token
    ? "missing or wrong credentials (Authorization: Bearer …)"
    : "the operator API needs credentials (set OPERATOR_API_TOKEN)";
  await app.register(
    async (api) => {
      api.addHook("onRequest", requireOperator(authenticators, whenNone));
      // Unknown paths under /api answer 404 only to someone who may call the API.
      api.setNotFoundHandler(async (req, reply) =>
        reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}` }),
      );
      await requestRoutes(api, d);
      await contentRoutes(api, d.reload);
    },
    { prefix: "/api" },
  );
}
