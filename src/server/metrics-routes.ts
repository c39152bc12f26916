import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { CoreEnv } from "../config/env.js";
import type { Metrics } from "../runtime/metrics.js";
import { bearerAuthenticator, requireOperator } from "./api/auth.js";

/**
 * `/metrics` tells how busy the desk is and which intents users ask about: not for the
 * public. With METRICS_PORT it is served only on that port (bound to METRICS_HOST,
 * 127.0.0.1 by default, for a Prometheus on a private network) and not on the main port;
 * otherwise it is on the main port behind the operator credential, like /api.
 */
export async function metricsRoutes(
  app: FastifyInstance,
  d: { env: CoreEnv; log: Logger; metrics: Metrics },
): Promise<FastifyInstance | undefined> {
  const serve = async (_req: unknown, reply: FastifyReply) => {
    reply.header("content-type", d.metrics.registry.contentType);
    return d.metrics.registry.metrics();
  };
  if (d.env.METRICS_PORT !== undefined) {
    const own = Fastify({ logger: false });
    own.get("/metrics", serve);
    d.log.info({ port: d.env.METRICS_PORT, host: d.env.METRICS_HOST }, "metrics: served on their own port only");
    return own;
  }
  const token = d.env.OPERATOR_API_TOKEN;
  await app.register(async (scope) => {
    scope.addHook(
      "onRequest",
      requireOperator(
        [bearerAuthenticator(token)],
        token
          ? "missing or wrong credentials (Authorization: Bearer …)"
          : "metrics need credentials: set OPERATOR_API_TOKEN, or METRICS_PORT for a private port",
      ),
    );
    scope.get("/metrics", serve);
  });
  return undefined;
}
