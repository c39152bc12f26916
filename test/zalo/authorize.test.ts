import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuthorizeIO, authorize, parseCodeInput } from "../../adapters/zalo/setup.js";
import { tokenKey } from "../../adapters/zalo/tokens.js";
import type { TokenRecord } from "../../adapters/zalo/types.js";
import { parseEnv } from "../../src/root/env.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { APP_ID, APP_SECRET, channel, FakeZalo, memoryLog, USER } from "./fake-zalo.js";

describe("npm run zalo:authorize", () => {
  let z: FakeZalo;
  let backend: ReturnType<typeof embeddedBackend>;
  let out: string[];
  let err: string[];

  beforeEach(async () => {
    z = await new FakeZalo().start();
    backend = embeddedBackend(":memory:", memoryLog().log, "HT");
    out = [];
    err = [];
  });
  afterEach(async () => {
    await backend.close();
    await z.stop();
  });

  const io = (over: Partial<AuthorizeIO> = {}): AuthorizeIO => ({
    env: parseEnv({
      ZALO_APP_ID: APP_ID,
      ZALO_APP_SECRET: APP_SECRET,
      ZALO_OAUTH_URL: z.oauth.url,
      ZALO_API_URL: z.api.url,
      DATA_DIR: ":memory:",
    }),
    redirectUriEnv: "https://bot.example.vn/zalo/callback",
    readCode: async () => undefined,
    stdinIsTTY: false,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    backend,
    ...over,
  });

  it("prints the PKCE consent URL, then exchanges the code given to a second run and stores the pair", async () => {
    expect(await authorize([], io())).toBe(0);
    const line = out.find((l) => l.includes("/v4/oa/permission?")) ?? "";
    const url = new URL(line.trim());
    expect(`${url.origin}${url.pathname}`).toBe(`${z.oauth.url}/v4/oa/permission`);
    expect(url.searchParams.get("app_id")).toBe(APP_ID);
    expect(url.searchParams.get("redirect_uri")).toBe("https://bot.example.vn/zalo/callback");
    const challenge = url.searchParams.get("code_challenge") ?? "";
    const state = url.searchParams.get("state") ?? "";
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(state).not.toBe("");

    // The admin approves; Zalo redirects with a code bound to that challenge.
    z.codes.set("code-123", challenge);
    out.length = 0;
    const callback = `https://bot.example.vn/zalo/callback?code=code-123&oa_id=388613280878808645&state=${state}`;
    expect(await authorize([callback], io())).toBe(0);
    expect(err).toEqual([]);
    const exchange = z.oauth.to("/v4/oa/access_token")[0];
    expect(exchange?.headers.secret_key).toBe(APP_SECRET);
    expect(exchange?.body).toMatchObject({ app_id: APP_ID, grant_type: "authorization_code", code: "code-123" });
    const rec = (await backend.kv.get(tokenKey(APP_ID))) as TokenRecord;
    expect(rec).toMatchObject({ accessToken: "access-1", refreshToken: "refresh-1", source: "authorize", version: 1 });
    const printed = out.join("\n");
    expect(printed).toContain("Refresh token stored: yes");
    expect(printed).not.toContain("refresh-1");
    expect(printed).not.toContain("access-1");

    // The server (same store, old ZALO_REFRESH_TOKEN in its environment) sends with the new pair.
    const zalo = channel(z, { log: memoryLog().log, kv: backend.kv, withLock: backend.withLock, bus: backend.bus });
    await zalo.start();
    expect(
      await zalo.send({ kind: "send", channel: "zalo", userId: USER, conv: `zalo:${USER}`, message: { text: "hi" } }),
    ).toEqual({ ok: true });
    expect(z.delivered()[0]?.headers.access_token).toBe("access-1");
    expect(z.refreshes()).toHaveLength(0);
    await zalo.stop();
  });

  it("reads the code interactively in the same run", async () => {
    let challenge = "";
    const run = authorize(
      [],
      io({
        stdinIsTTY: true,
        readCode: async () => {
          const line = out.find((l) => l.includes("/v4/oa/permission?")) ?? "";
          challenge = new URL(line.trim()).searchParams.get("code_challenge") ?? "";
          z.codes.set("code-tty", challenge);
          return "code-tty\n";
        },
      }),
    );
    expect(await run).toBe(0);
    expect(((await backend.kv.get(tokenKey(APP_ID))) as TokenRecord).refreshToken).toBe("refresh-1");
  });

  it("refuses a callback from another consent URL, a refused code, and a missing redirect URI", async () => {
    expect(await authorize([], io())).toBe(0);
    expect(await authorize(["https://x/cb?code=c&state=other"], io())).toBe(1);
    expect(err.join("\n")).toContain("state");
    expect(await authorize(["not-a-valid-code"], io())).toBe(1);
    expect(err.join("\n")).toContain("refused");
    expect(await backend.kv.get(tokenKey(APP_ID))).toBeUndefined();
    expect(await authorize([], io({ redirectUriEnv: undefined }))).toBe(1);
    expect(await authorize(["--redirect-uri=https://y/cb"], io({ redirectUriEnv: undefined }))).toBe(0);
  });

  it("parses a code or a callback URL", () => {
    expect(parseCodeInput(" abc ")).toEqual({ code: "abc" });
    expect(parseCodeInput("https://h/cb?code=x1&oa_id=9&state=s")).toEqual({ code: "x1", state: "s" });
    expect(parseCodeInput("https://h/cb?oa_id=9")).toBeUndefined();
  });
});
