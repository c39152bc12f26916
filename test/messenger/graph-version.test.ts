import { describe, expect, it } from "vitest";
import { graphVersionOf, versionWarning } from "../../adapters/messenger/graph-versions.js";
import { parseEnv } from "../../src/root/env.js";
import { rig } from "./setup.js";

describe("the Graph API version", () => {
  it("defaults to one Meta serves past 2027", () => {
    const url = parseEnv({}).MESSENGER_GRAPH_URL;
    expect(graphVersionOf(url)).toBe("v25.0");
    expect(versionWarning(url, new Date("2027-12-31T00:00:00Z"))).toBeUndefined();
  });

  it("warns 90 days before a version ends, and after", () => {
    const url = "https://graph.facebook.com/v21.0";
    expect(versionWarning(url, new Date("2026-09-01T00:00:00Z"))).toBeUndefined();
    expect(versionWarning(url, new Date("2026-12-02T00:00:00Z"))).toMatch(
      /v21\.0 stops working on 2027-01-21 \(in 50 days\)/,
    );
    expect(versionWarning(url, new Date("2027-02-01T00:00:00Z"))).toMatch(/no longer available/);
    expect(versionWarning("https://graph.facebook.com/v26.0", new Date("2027-01-01T00:00:00Z"))).toBeUndefined();
  });

  it("an expiring version is logged as a warning at start-up", async () => {
    const r = await rig({ adapter: { now: () => Date.parse("2026-12-02T00:00:00Z") } });
    try {
      await r.adapter.start();
      const line = r.logs.find((l) => l.includes("stops working on 2027-01-21"));
      expect(line && JSON.parse(line).level).toBe(40);
    } finally {
      await r.close();
    }
  });
});
