import { EnvError } from "../config/env.js";
import { ContentError } from "../content/types.js";
import { buildServer } from "../root/compose.js";
import { parseEnv } from "../root/env.js";
import { watchDirs } from "../shell/watch.js";

/** `npm start`: the server on the embedded store (or Redis when REDIS_URL is set). */
async function main(): Promise<void> {
  let env: ReturnType<typeof parseEnv>;
  try {
    env = parseEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  let hotro: Awaited<ReturnType<typeof buildServer>>;
  try {
    hotro = await buildServer(env);
  } catch (err) {
    if (err instanceof ContentError || err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const { app, log } = hotro;
  await app.listen({ port: env.PORT, host: env.HOST });
  log.info({ port: env.PORT, store: hotro.backend.kind }, `hotro listening on http://${env.HOST}:${env.PORT}`);
  if (hotro.metricsApp && env.METRICS_PORT !== undefined) {
    await hotro.metricsApp.listen({ port: env.METRICS_PORT, host: env.METRICS_HOST });
  }

  // Content edits without a restart: SIGHUP (every process of the deployment follows), and
  // outside production a watch on config/ and flows/. A broken edit keeps the old content.
  process.on("SIGHUP", () => void hotro.reload({ broadcast: true }));
  const unwatch =
    process.env.NODE_ENV === "production"
      ? undefined
      : watchDirs([env.CONFIG_DIR, env.FLOWS_DIR], () => void hotro.reload({ broadcast: true }));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    unwatch?.();
    log.info({ signal }, "shutting down: finishing work in progress");
    // Graceful within 10 s (SPEC); past that, exit anyway: anything acknowledged is in the store.
    const force = setTimeout(() => {
      log.warn("shutdown took longer than 10 s: exiting; unfinished work resumes at the next start");
      process.exit(1);
    }, 10_000);
    force.unref();
    hotro.close().then(
      () => {
        log.info("stopped");
        process.exit(0);
      },
      (err) => {
        log.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
