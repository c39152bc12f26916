import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorApi } from "../../src/server/operator-api.js";
import { type Harness, harness } from "../helpers/harness.js";

const TOKEN = "op-api-token-0123456789";
// Routes under /api that are meant to answer without credentials: the console's login only.
const PUBLIC = new Set<string>(["POST /api/login"]);

/** The spellings of one path an attacker tries: each must reach the route's own guard, or nothing. */
function spellings(path: string): string[] {
  const rest = path.slice("/api".length);
  return [
    path,
    `/%61pi${rest}`,
    `/ap%69${rest}`,
    `/%41%50%49${rest}`,
    `/api%2F${rest.slice(1)}`,
    `/%2Fapi${rest}`,
    `//api${rest}`,
    `/api/${rest}`,
    `${path}/`,
    `/API${rest.toUpperCase()}`,
    `/Api${rest}`,
    `/./api${rest}`,
    `/x/../api${rest}`,
    `${path}?x=1`,
  ];
}

describe("operator API authentication", () => {
  let h: Harness;
  let routes: { method: string; url: string }[];
  beforeAll(async () => {
    h = await harness({ operators: true, plugins: [operatorApi], env: { OPERATOR_API_TOKEN: TOKEN } });
    await h.say("cho mình gặp nhân viên, mã khách 4455", { user: "auth" });
    routes = h.hotro.routes.filter(
      (r) => r.url.toLowerCase().startsWith("/api") && r.method !== "HEAD" && !PUBLIC.has(`${r.method} ${r.url}`),
    );
  });
  afterAll(() => h.close());

  const call = (method: string, url: string, authorization?: string) =>
    h.hotro.app.inject({
      method: method as "GET",
      url,
      headers: { ...(authorization ? { authorization } : {}), "content-type": "application/json" },
      payload: method === "GET" ? undefined : JSON.stringify({ text: "xin chào", operator: "Mallory" }),
    });

  it("finds the API's routes from fastify itself", () => {
    const names = routes.map((r) => `${r.method} ${r.url}`);
    expect(names).toEqual(expect.arrayContaining(["GET /api/requests", "GET /api/requests/:id"]));
    expect(routes.length).toBeGreaterThanOrEqual(4);
  });

  it("refuses every route, in every spelling, without the token or with a wrong one", async () => {
    const wrong = [
      undefined,
      "Bearer",
      "Bearer ",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
    ];
    for (const r of routes) {
      const path = r.url.replace(":id", "HT-000001");
      for (const url of spellings(path)) {
        for (const authorization of wrong) {
          const res = await call(r.method, url, authorization);
          expect({ route: `${r.method} ${url}`, authorization, status: res.statusCode }).toEqual({
            route: `${r.method} ${url}`,
            authorization,
            status: 401,
          });
          expect(res.body).not.toContain("4455");
        }
      }
    }
    // Nothing reached a user: no reply was queued by any attempt.
    expect(h.cli.sent.some((j) => j.message.text === "xin chào")).toBe(false);
  });

  it("lets the right token through on every route, in the spellings the router reads as the same path", async () => {
    for (const r of routes) {
      const path = r.url.replace(":id", "HT-000001");
      for (const url of [path, `/%61pi${path.slice(4)}`, `${path}/`, `//api${path.slice(4)}`, `/API${path.slice(4)}`]) {
        const res = await call(r.method, url, `Bearer ${TOKEN}`);
        expect({ url, status: res.statusCode }).not.toEqual({ url, status: 401 });
        expect(res.statusCode).toBeLessThan(500);
      }
    }
    const one = await call("GET", "/api/requests/HT-000001", `bearer ${TOKEN}`);
    expect(one.statusCode).toBe(200);
    expect(one.body).toContain("4455");
  });

  it("answers unknown /api paths 401 before credentials and 404 after", async () => {
    expect((await call("GET", "/api/nothing-here")).statusCode).toBe(401);
    expect((await call("GET", "/api/nothing-here", `Bearer ${TOKEN}`)).statusCode).toBe(404);
    expect((await call("GET", "/healthz")).statusCode).toBe(200);
  });
});

describe("operator API without a configured token", () => {
  it("refuses everything, with a message saying how to enable it", async () => {
    const h = await harness({ plugins: [operatorApi] });
    try {
      const res = await h.hotro.app.inject({ url: "/%61pi/requests", headers: { authorization: "Bearer " } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toMatch(/OPERATOR_API_TOKEN/);
    } finally {
      await h.close();
    }
  });
});

describe("/metrics", () => {
  it("is behind the operator credential on the main port", async () => {
    const h = await harness({ env: { OPERATOR_API_TOKEN: TOKEN } });
    try {
      for (const url of ["/metrics", "/METRICS", "/metrics/", "/%6detrics"]) {
        expect((await h.hotro.app.inject({ url })).statusCode).toBe(401);
      }
      const ok = await h.hotro.app.inject({ url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain("hotro_messages_in_total");
    } finally {
      await h.close();
    }
  });

  it("with METRICS_PORT, is served there only, not on the main port", async () => {
    const h = await harness({ env: { OPERATOR_API_TOKEN: TOKEN, METRICS_PORT: "0" } });
    try {
      const main = await h.hotro.app.inject({ url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(main.statusCode).toBe(404);
      const own = h.hotro.metricsApp;
      expect(own).toBeDefined();
      await own?.listen({ port: 0, host: "127.0.0.1" });
      const address = own?.server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("hotro_messages_in_total");
    } finally {
      await h.close();
    }
  });
});
