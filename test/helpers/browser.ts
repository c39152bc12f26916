import { accessSync, constants } from "node:fs";

/** Debian's Chromium (never a downloaded browser); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Whether the browser tests can run. Under CI=true a missing browser is an error (`.ci/run`
 * installs it); elsewhere those tests are skipped with a note saying how to enable them.
 */
export function browserAvailable(): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    if (process.env.CI === "true") throw new Error(`Chromium is not installed at ${CHROMIUM} (CI=true requires it)`);
    console.warn(
      `Chromium not found at ${CHROMIUM}: browser tests skipped (install it: apt-get install chromium, or set CHROMIUM_PATH)`,
    );
    return false;
  }
}
