import type { Env } from "../config/env.js";
import { buildApp, type Hotro } from "./app.js";

/**
 * The production wiring: the app plus every channel the environment enables. Kept apart
 * from `buildApp` so tests can mount exactly the adapters they exercise.
 */
export async function buildServer(env: Env): Promise<Hotro> {
  return buildApp({ env });
}
