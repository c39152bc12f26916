import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorApi } from "../../src/server/operator-api.js";
import { type Harness, harness, textOf } from "../helpers/harness.js";

// A new intent a deployment adds to its flows: the worked example of the README.
const NEW_INTENT = `
  store.pickup:
    title: { vi: "Nhận hàng tại kho", en: "Pick up at the warehouse" }
    examples:
      vi:
        - nhận hàng tại kho được không
        - tôi muốn tự đến kho lấy hàng
        - kho hàng ở đâu để nhận trực tiếp
        - có cho lấy hàng tại kho không
        - đến kho nhận hàng giờ nào
        - nhan hang tai kho duoc ko
      en:
        - can I pick up at the warehouse
        - where is the warehouse for pickup
        - collect my order from the warehouse
    reply:
      vi: "Bạn có thể nhận hàng tại kho Bình Dương từ 8h đến 17h, mang theo mã đơn hàng nhé."
      en: "You can pick up at the Binh Duong warehouse from 8:00 to 17:00; bring your order number."
`;
const QUESTION = "mình muốn tự đến kho lấy hàng được không";

describe("content reload without a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "hotro-reload-"));
  const flows = join(dir, "flows");
  const TOKEN = "reload-admin-token-0123456789";
  let h: Harness;
  beforeAll(async () => {
    cpSync("flows", flows, { recursive: true });
    cpSync("config", join(dir, "config"), { recursive: true });
    h = await harness({
      plugins: [operatorApi],
      env: { CONFIG_DIR: join(dir, "config"), FLOWS_DIR: flows, OPERATOR_API_TOKEN: TOKEN },
    });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a new intent added to flows/ answers after a reload", async () => {
    const before = textOf(await h.say(QUESTION, { user: "r1" }));
    expect(before).not.toContain("kho Bình Dương");
    appendFileSync(join(flows, "general.yaml"), NEW_INTENT);
    const r = await h.hotro.reload();
    expect(r).toMatchObject({ ok: true });
    expect(textOf(await h.say(QUESTION, { user: "r2" }))).toContain("kho Bình Dương từ 8h đến 17h");
  });

  it("a broken edit is refused with its file and line, and the content that works stays", async () => {
    const file = join(flows, "general.yaml");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, `${good}\n  broken.intent:\n    title: { vi: "x" }\n`);
    const r = await h.hotro.reload();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join("\n")).toMatch(/general\.yaml:\d+: /);
    expect(textOf(await h.say(QUESTION, { user: "r3" }))).toContain("kho Bình Dương");
    writeFileSync(file, good);
  });

  it("admins can ask for it over the API; others cannot", async () => {
    const denied = await h.hotro.app.inject({ method: "POST", url: "/api/content/reload" });
    expect(denied.statusCode).toBe(401);
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/api/content/reload",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true });
  });
});
