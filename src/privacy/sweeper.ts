import type { Logger } from "pino";
import { durationMs, type PrivacyConfig, retentionMs } from "../content/privacy.js";
import type { AuditStore } from "../ports/audit.js";
import type { PeopleStore, PersonalDataHolder } from "../ports/people.js";

export interface SweepDeps {
  people: PeopleStore;
  audit: AuditStore;
  holders: () => PersonalDataHolder[];
  privacy: () => PrivacyConfig;
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  log: Logger;
  now?: () => number;
}

/**
 * One retention pass: every kind past its period is deleted for good (stores, then other
 * holders such as media files), and the audit log's own old entries are pruned. Under the
 * deployment-wide lock, so several processes do not sweep at once. What went is recorded
 * in the audit log (counts only).
 */
export async function sweepOnce(d: SweepDeps): Promise<Record<string, number>> {
  return d.withLock("privacy:sweep", 10 * 60_000, async () => {
    const now = d.now?.() ?? Date.now();
    const r = retentionMs(d.privacy());
    const swept: Record<string, number> = { ...(await d.people.sweep(r, now)) };
    for (const h of d.holders()) if (h.sweep) swept[h.name] = await h.sweep(r, now);
    swept.audit = await d.audit.prune(now - r.audit);
    const total = Object.values(swept).reduce((a, b) => a + b, 0);
    if (total > 0) {
      const detail = Object.fromEntries(Object.entries(swept).filter(([, n]) => n > 0));
      await d.audit.append({ at: now, actor: "system", action: "retention_sweep", detail });
      d.log.info(detail, "retention: expired personal data deleted");
    }
    return swept;
  });
}

/** The sweep every `sweep_every` (config/privacy.yaml) while the server runs; the first soon after start. */
export function startSweeper(d: SweepDeps): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async () => {
    try {
      await sweepOnce(d);
    } catch (err) {
      d.log.error({ err: err instanceof Error ? err.message : String(err) }, "retention sweep failed");
    }
    if (!stopped) schedule(durationMs(d.privacy().sweep_every));
  };
  const schedule = (ms: number) => {
    timer = setTimeout(() => void run(), ms);
    timer.unref();
  };
  schedule(5_000);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
