import Fastify from "fastify";
import { verifySignature } from "../adapters/messenger/verify.js";

/**
 * The ceiling: a bare fastify 5 route that reads the same signed Messenger webhook the real
 * server gets, checks its `X-Hub-Signature-256` (HMAC-SHA256 over the raw bytes,
 * `timingSafeEqual`, the adapter's own `verifySignature`), parses it and answers 200. No
 * logging, no store, no reply: what any webhook on this machine costs at least.
 */

const secret = process.env.MESSENGER_APP_SECRET ?? "";
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

app.get("/readyz", async () => ({ status: "ready" }));
app.post("/webhooks/messenger", async (req, reply) => {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (!verifySignature(raw, req.headers["x-hub-signature-256"], secret)) {
    return reply.code(401).send({ error: "invalid or missing X-Hub-Signature-256" });
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    return reply.code(400).send({ error: "body is not JSON" });
  }
  if (typeof body !== "object" || body === null || (body as { object?: unknown }).object !== "page") {
    return reply.code(400).send({ error: "not a page event" });
  }
  return reply.code(200).type("text/plain; charset=utf-8").send("EVENT_RECEIVED");
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? "127.0.0.1" });
const stop = () => void app.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
