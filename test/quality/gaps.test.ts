import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContent } from "../../src/content/load.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { type Harness, harness } from "../helpers/harness.js";

/**
 * Content gaps: thirty messages the bot could not answer, written in five spellings of two
 * questions (accents or none, teencode, a typo, capitals), form two groups; a lead marks
 * one as examples of an intent, and the next such message is answered by it, without a
 * restart. The overlay it writes is checked like the rest of the content.
 */

const TOKEN = "gaps-token-0123456789";
const SHOP_NAME = [
  "làm sao để đổi tên cửa hàng",
  "lam sao de doi ten cua hang",
  "lm sao để đổi tên cửa hàng",
  "làm sao để đổi tên cửa hàngg",
  "LÀM SAO ĐỂ ĐỔI TÊN CỬA HÀNG?",
];
const INSTALMENTS = [
  "shop có cho trả góp không",
  "shop co cho tra gop khong",
  "shop có cho trả góp ko",
  "shop có cho trả góp k",
  "shop có cho tra góp hông",
];

type Group = { id: string; count: number; examples: string[]; channels: string[]; firstSeen: number; lastSeen: number };

describe("content gaps", () => {
  let h: Harness;
  let dir: string;
  let user = 0;
  const api = async (method: "GET" | "POST", url: string, payload?: object) => {
    const res = await h.hotro.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKEN}`, ...(payload ? { "content-type": "application/json" } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    return { status: res.statusCode, json: () => res.json() };
  };
  // A user each: two fallbacks in a row would hand the conversation to a person.
  const ask = async (text: string) => {
    await h.say(text, { user: `gap-${++user}` });
    return h.last.intent;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hotro-gaps-"));
    h = await harness({ dataDir: dir, plugins: [operatorApi], env: { OPERATOR_API_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("thirty fallbacks in five spellings of two questions form two groups", async () => {
    for (let round = 0; round < 3; round++) {
      for (const text of [...SHOP_NAME, ...INSTALMENTS]) expect(await ask(text)).toBe("none");
    }
    const { groups } = (await api("GET", "/api/gaps")).json() as { groups: Group[] };
    expect(groups).toHaveLength(2);
    expect(groups.map((g) => g.count)).toEqual([15, 15]);
    const shop = groups.find((g) => g.examples.includes(SHOP_NAME[0] as string));
    const inst = groups.find((g) => g.examples.includes(INSTALMENTS[0] as string));
    expect(shop?.examples.sort()).toEqual([...SHOP_NAME].sort());
    expect(inst?.examples.sort()).toEqual([...INSTALMENTS].sort());
    expect(shop?.channels).toEqual(["cli"]);
    expect(shop && shop.lastSeen >= shop.firstSeen).toBe(true);
  });

  it("'add as example' writes the overlay, retrains without a restart, and the next such message matches", async () => {
    const { groups } = (await api("GET", "/api/gaps")).json() as { groups: Group[] };
    const inst = groups.find((g) => g.examples.includes(INSTALMENTS[0] as string));
    const shop = groups.find((g) => g.examples.includes(SHOP_NAME[0] as string));
    if (!inst || !shop) throw new Error("groups missing");
    expect(await ask("shop co cho tra gop ko vay")).toBe("none");

    const res = await api("POST", `/api/gaps/${inst.id}`, { action: "example", intent: "promotions.news" });
    expect(res.status).toBe(200);
    expect(res.json().learned).toBe(5);
    const overlay = join(dir, "learned.yaml");
    expect(existsSync(overlay)).toBe(true);
    // What `npm run check` reads: the pack with the overlay, without a problem.
    expect(loadContent({ configDir: "config", flowsDir: "flows", learnedFile: overlay }).problems).toEqual([]);

    expect(await ask("shop co cho tra gop ko vay")).toBe("promotions.news");
    expect(await ask("shop có cho trả góp không")).toBe("promotions.news");

    // The other group: a new intent to write, then ignored; both are kept with the group.
    expect((await api("POST", `/api/gaps/${shop.id}`, { action: "new_intent" })).status).toBe(200);
    expect((await api("POST", `/api/gaps/${shop.id}`, { action: "ignored" })).status).toBe(200);
    const after = (await api("GET", "/api/gaps")).json().groups as (Group & { decision?: { action: string } })[];
    expect(after.find((g) => g.id === shop.id)?.decision?.action).toBe("ignored");
    expect(after.find((g) => g.id === inst.id)?.decision).toMatchObject({
      action: "example",
      intent: "promotions.news",
    });
    // Ignored gaps leave the dashboard's top list.
    const stats = (await api("GET", "/api/stats")).json();
    expect(stats.topGaps.map((g: { id: string }) => g.id)).not.toContain(shop.id);

    expect((await api("POST", `/api/gaps/${inst.id}`, { action: "example", intent: "no.such" })).status).toBe(400);
  });

  it("records gaps masked, as every message is recorded", async () => {
    expect(await ask("làm sao đổi tên cửa hàng, thẻ 4111 1111 1111 1111")).toBe("none");
    const events = await h.hotro.backend.quality.between("gap", 0, Number.MAX_SAFE_INTEGER);
    const texts = events.map((e) => String(e.data.text));
    expect(texts.some((t) => t.includes("4111 1111 1111"))).toBe(false);
    expect(texts).toContain("làm sao đổi tên cửa hàng, thẻ ******1111");
  });

  it("an overlay naming an intent the pack lacks is a problem for npm run check", async () => {
    const { writeFileSync } = await import("node:fs");
    const bad = join(dir, "bad-learned.yaml");
    writeFileSync(bad, "learned:\n  no.such_intent:\n    vi: [xin chao]\n");
    const { problems } = loadContent({ configDir: "config", flowsDir: "flows", learnedFile: bad });
    expect(problems.map((p) => `${p.file.endsWith("bad-learned.yaml")}:${p.line}:${p.message}`)).toEqual([
      "true:3:learned examples for intent `no.such_intent`, which no flow defines",
    ]);
  });
});
