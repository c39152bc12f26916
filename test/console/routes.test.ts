import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleRoutes } from "../../src/server/console/routes.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { type Harness, harness } from "../helpers/harness.js";

describe("GET /console", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ plugins: [operatorApi, consoleRoutes] });
  });
  afterAll(() => h.close());

  it("serves the page with a policy that allows its own files only, in Vietnamese or English", async () => {
    const res = await h.hotro.app.inject({ url: "/console", headers: { host: "desk.example.vn" } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/html");
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self' ws://desk.example.vn wss://desk.example.vn");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.body).toContain('<html lang="vi">');
    expect(res.body).toContain('<script type="module" src="/console/app.js"></script>');
    // No inline script or style anywhere.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/<style|style="/);
    expect((await h.hotro.app.inject({ url: "/console?lang=en" })).body).toContain('<html lang="en">');
  });

  it("serves Preact, its hooks and htm from node_modules as ES modules the browser can load", async () => {
    for (const f of ["preact.mjs", "hooks.mjs", "htm.mjs"]) {
      const res = await h.hotro.app.inject({ url: `/console/vendor/${f}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toContain("text/javascript");
      expect(res.body).not.toMatch(/from\s*"preact"/);
      expect(res.body).not.toContain("sourceMappingURL");
    }
    expect((await h.hotro.app.inject({ url: "/console/vendor/hooks.mjs" })).body).toContain('from"./preact.mjs"');
    const etag = (await h.hotro.app.inject({ url: "/console/app.js" })).headers.etag;
    expect((await h.hotro.app.inject({ url: "/console/app.js", headers: { "if-none-match": etag } })).statusCode).toBe(
      304,
    );
  });

  it("has every string the console uses, in both languages", async () => {
    const strings = (await h.hotro.app.inject({ url: "/console/strings.json" })).json();
    expect(Object.keys(strings.vi).sort()).toEqual(Object.keys(strings.en).sort());
    const app = readFileSync("src/server/console/public/app.js", "utf8");
    const used = new Set([...app.matchAll(/\bt\("([a-z_]+)"/g)].map((m) => m[1]));
    for (const prefix of ["queue_", "status_", "priority_", "role_"])
      for (const k of Object.keys(strings.vi)) if (k.startsWith(prefix)) used.delete(k);
    const missing = [...used].filter((k) => k && !(k in strings.vi));
    expect(missing).toEqual([]);
    for (const lang of ["vi", "en"]) for (const v of Object.values(strings[lang])) expect(v).not.toBe("");
  });
});
