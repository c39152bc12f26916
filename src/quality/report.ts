import type { Config } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import { GAP_DECISIONS, type GapDecision } from "./gaps.js";
import { computeStats, type Stats } from "./stats.js";

const DAY = 86_400_000;
/** Requests read for one report at most (a busy desk's quarter). */
const MAX_REQUESTS = 100_000;

/**
 * The figures for local days `from`..`to` (inclusive) from a backend's stores. Reads a day
 * more on each side (time zones) and lets `computeStats` keep the local days asked for.
 */
export async function statsFor(
  backend: Pick<Backend, "requests" | "quality" | "kv">,
  config: Config,
  from: string,
  to: string,
): Promise<Stats> {
  const lo = Date.parse(`${from}T00:00:00Z`) - DAY;
  const hi = Date.parse(`${to}T00:00:00Z`) + 2 * DAY;
  const [requests, conversations, csat, gaps, decisions] = await Promise.all([
    backend.requests.list({ createdFrom: lo, createdTo: hi, limit: MAX_REQUESTS }),
    backend.quality.between("conversation", lo, hi),
    backend.quality.between("csat", lo, hi),
    backend.quality.between("gap", lo, hi),
    backend.kv.get(GAP_DECISIONS) as Promise<GapDecision[] | undefined>,
  ]);
  return computeStats({ requests, conversations, csat, gaps, decisions: decisions ?? [], config, from, to });
}
