import { loadContentOrThrow } from "../../src/content/load.js";
import type { Content } from "../../src/content/types.js";

let cached: Content | undefined;

/** The shipped content pack (flows/ and config/), loaded once per test file. */
export function shippedContent(): Content {
  cached ??= loadContentOrThrow({ configDir: "config", flowsDir: "flows" });
  return cached;
}
