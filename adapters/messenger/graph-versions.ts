/**
 * Graph API versions and the day Meta stops serving each
 * (developers.facebook.com/docs/graph-api/changelog/versions, read 2026-12). Data, not code:
 * add a row when Meta publishes a version's date.
 */
export const GRAPH_VERSIONS: Record<string, { released: string; availableUntil?: string }> = {
  "v26.0": { released: "2026-07-29" },
  "v25.0": { released: "2026-02-18", availableUntil: "2028-07-29" },
  "v24.0": { released: "2025-10-08", availableUntil: "2028-02-18" },
  "v23.0": { released: "2025-05-29", availableUntil: "2027-10-08" },
  "v22.0": { released: "2025-01-21", availableUntil: "2027-05-20" },
  "v21.0": { released: "2024-10-02", availableUntil: "2027-01-21" },
};

/** The version in MESSENGER_GRAPH_URL (`…/v25.0`), if it names one. */
export function graphVersionOf(url: string): string | undefined {
  return /\/(v\d+\.\d+)\/?$/.exec(url)?.[1];
}

/**
 * What to say at start-up about the configured version: a warning when Meta stops serving it
 * within `warnDays` (or already did), nothing when it is current or unknown to the table.
 */
export function versionWarning(url: string, now: Date, warnDays = 90): string | undefined {
  const v = graphVersionOf(url);
  const until = v ? GRAPH_VERSIONS[v]?.availableUntil : undefined;
  if (!v || !until) return undefined;
  const days = Math.floor((Date.parse(`${until}T00:00:00Z`) - now.getTime()) / 86_400_000);
  if (days > warnDays) return undefined;
  return days < 0
    ? `Graph API ${v} is no longer available (since ${until}): set MESSENGER_GRAPH_URL to https://graph.facebook.com/v25.0 or later`
    : `Graph API ${v} stops working on ${until} (in ${days} days): set MESSENGER_GRAPH_URL to https://graph.facebook.com/v25.0 or later`;
}
