import cookie from "@fastify/cookie";
import type { FastifyInstance } from "fastify";
import { bearerAuthenticator, requireCsrf, requireOperator, sessionAuthenticator } from "./api/auth.js";
import { contentRoutes } from "./api/content.js";
import { liveRoutes } from "./api/live.js";
import { mediaApiRoutes } from "./api/media.js";
import { operatorRoutes } from "./api/operators.js";
import { peopleRoutes } from "./api/people.js";
import { qualityRoutes } from "./api/quality.js";
import { requestRoutes } from "./api/requests.js";
import { loginRoute, sessionRoutes } from "./api/session.js";
import type { AppDeps } from "./app.js";

/**
 * The operator API under /api. `POST /api/login` is the one route outside the guard. Every
 * other route lives in one encapsulated fastify scope whose `onRequest` hooks authenticate
 * the caller (a console session, or the integration's bearer token) and then check the
 * CSRF header of a session's writes, so a route added there cannot be left unguarded and no
 * spelling of the path (`/%61pi/…`, `//api`, `/API/`, a trailing slash) reaches a handler
 * without credentials: the router decodes and matches first, then the route's own hooks run.
 */
export async function operatorApi(app: FastifyInstance, d: AppDeps): Promise<void> {
  const token = d.env.OPERATOR_API_TOKEN;
  if (!token) d.log.info("operator API: no OPERATOR_API_TOKEN set, so only console logins can call /api");
  const authenticators = [bearerAuthenticator(token), sessionAuthenticator(d.desk)];
  const whenNone = token
    ? "missing or wrong credentials (log in at /console, or send Authorization: Bearer …)"
    : "the operator API needs a console login (POST /api/login) or an integration token (set OPERATOR_API_TOKEN)";
  await app.register(
    async (api) => {
      await api.register(cookie);
      await loginRoute(api, d);
      await api.register(async (guarded) => {
        guarded.addHook("onRequest", requireOperator(authenticators, whenNone));
        guarded.addHook("onRequest", requireCsrf);
        // Unknown paths under /api answer 404 only to someone who may call the API.
        guarded.setNotFoundHandler(async (req, reply) =>
          reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}` }),
        );
        await sessionRoutes(guarded, d);
        await requestRoutes(guarded, d);
        await operatorRoutes(guarded, d);
        await peopleRoutes(guarded, d);
        await liveRoutes(guarded, d);
        await contentRoutes(guarded, d.reload);
        // Its own scope: the raw-bytes parser of uploads applies to `POST /api/media` alone.
        await guarded.register(async (files) => mediaApiRoutes(files, d.media));
        await qualityRoutes(guarded, d);
      });
    },
    { prefix: "/api" },
  );
}
