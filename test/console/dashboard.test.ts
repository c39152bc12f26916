import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localTime } from "../../src/engine/hours.js";
import type { ChannelId } from "../../src/ports/message.js";
import { statsFor } from "../../src/quality/report.js";
import { buildServer } from "../../src/root/compose.js";
import { parseEnv } from "../../src/root/env.js";
import type { Hotro } from "../../src/server/app.js";
import { browserAvailable, CHROMIUM } from "../helpers/browser.js";
import { CHROMIUM_ARGS } from "../webchat/helpers.js";

/**
 * The leads' dashboard in Debian's Chromium, on the production wiring with an embedded
 * store seeded with a week of facts: its cards show the API's figures, its three uPlot
 * charts draw (pixels on their canvases), and the content gaps are listed. A screenshot
 * goes to docs/ with UPDATE_SCREENSHOTS=1, elsewhere to a temporary folder.
 */
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";
const SHOTS = UPDATE ? "docs" : mkdtempSync(join(tmpdir(), "hotro-dashboard-shots-"));
const PASSWORD = "mật khẩu đủ dài 2026";
const DAY = 86_400_000;
const CHANNELS: ChannelId[] = ["zalo", "messenger", "webchat", "telegram"];

describe.runIf(browserAvailable())("the leads' dashboard in a browser", () => {
  let hotro: Hotro;
  let base = "";
  let dir = "";
  let browser: Browser;
  const errors: string[] = [];

  /** A week of facts: conversations, hand-offs answered and resolved, ratings, content gaps. */
  async function seed(): Promise<void> {
    const b = hotro.backend;
    const today = localTime(new Date(), "Asia/Ho_Chi_Minh").date;
    for (let d = 6; d >= 0; d--) {
      const date = new Date(Date.parse(`${today}T00:00:00Z`) - d * DAY).toISOString().slice(0, 10);
      const at = (hhmm: string) => new Date(`${date}T${hhmm}:00+07:00`).getTime();
      for (let i = 0; i < 8 + ((d * 3) % 7); i++) {
        const channel = CHANNELS[i % CHANNELS.length] as ChannelId;
        const conv = `${channel}:u${d}-${i}`;
        await b.quality.record({
          key: `conv:${conv}|${date}`,
          kind: "conversation",
          channel,
          conv,
          at: at("09:00"),
          data: { day: date, intent: i % 3 ? "account.locked" : "contact.hotline" },
        });
        if (i % 3 !== 0) continue;
        const r = await b.requests.create(
          {
            conv,
            channel,
            userId: `u${d}-${i}`,
            draft: { intent: "handoff.human", title: "Gặp nhân viên", priority: "normal", fields: {}, transcript: [] },
            handoff: true,
            idempotencyKey: `seed:${conv}`,
          },
          at("09:05"),
        );
        await b.requests.update(
          r.id,
          {
            firstResponseAt: at("09:05") + (10 + d * 7 + i) * 60_000,
            resolvedAt: at("11:00"),
            status: "resolved",
            closedBy: "person",
          },
          at("11:00"),
        );
        const score = 1 + ((d + i) % 5);
        await b.quality.record({
          key: `csat:${r.id}`,
          kind: "csat",
          channel,
          requestId: r.id,
          at: at("11:00"),
          data: { outcome: "asked" },
        });
        await b.quality.record({
          key: `csat:${r.id}:score`,
          kind: "csat",
          channel,
          requestId: r.id,
          at: at("11:01"),
          data: { outcome: "rated", score },
        });
      }
      for (const [k, text] of [
        ["a", "shop có cho trả góp không"],
        ["b", "shop co cho tra gop ko"],
        ["c", "làm sao đổi tên cửa hàng"],
      ] as const) {
        const tokens = hotro.matcher.meaningTokens(text);
        await b.quality.record({
          key: `gap:${date}:${k}`,
          kind: "gap",
          channel: "zalo",
          at: at("10:00"),
          data: { text, tokens, zone: "fallback" },
        });
      }
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hotro-dashboard-"));
    hotro = await buildServer(parseEnv({ DATA_DIR: join(dir, "data"), LOG_LEVEL: "silent" }));
    await hotro.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(hotro.app.server.address() as AddressInfo).port}`;
    await hotro.desk.accounts.add({ name: "hoa", role: "lead", password: PASSWORD, displayName: "Hoa Trần" });
    await seed();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hotro?.close();
    rmSync(dir, { recursive: true, force: true });
    if (!UPDATE) rmSync(SHOTS, { recursive: true, force: true });
  });

  it("draws the figures from the seeded store, with charts, gaps and the CSV link", async () => {
    const ctx = await browser.newContext({
      viewport: { width: 1280, height: 1400 },
      locale: "vi-VN",
      timezoneId: "Asia/Ho_Chi_Minh",
    });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${base}/console`);
    await page.getByLabel("Tên đăng nhập").fill("hoa");
    await page.getByLabel("Mật khẩu").fill(PASSWORD);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.getByRole("button", { name: "Bảng số liệu" }).click();
    const dash = page.getByRole("region", { name: "Bảng số liệu" });
    await dash.waitFor();

    // The cards say what the API says for the same range.
    const from = await dash.getByLabel("Từ").inputValue();
    const to = await dash.getByLabel("Đến").inputValue();
    const s = await statsFor(hotro.backend, hotro.content.config, from, to);
    expect(s.total.conversations).toBeGreaterThan(50);
    const card = (label: string) => dash.locator(".card").filter({ hasText: label }).locator(".card-value");
    await expect.poll(() => card("Cuộc trò chuyện").textContent()).toBe(String(s.total.conversations));
    expect(await card("Chuyển người").textContent()).toBe(String(s.total.handedOff));
    expect(await card("CSAT").textContent()).toBe(String(s.total.csat.average));

    // Three charts, each with ink on its canvas.
    const charts = dash.locator("figure.chart canvas");
    await expect.poll(() => charts.count()).toBe(3);
    const inked = await charts.evaluateAll((canvases) =>
      canvases.map((c) => {
        // The test's types know no DOM: the canvas as far as this check needs it.
        const canvas = c as unknown as {
          width: number;
          height: number;
          getContext(
            k: "2d",
          ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
        };
        const px = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let ink = 0;
        for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) ink++;
        return ink;
      }),
    );
    for (const n of inked) expect(n).toBeGreaterThan(500);

    // Content gaps, grouped across spellings.
    const gaps = dash.getByRole("region", { name: "Câu hỏi bot chưa trả lời được" });
    await gaps.getByText("14×").waitFor();
    await gaps.getByText("7×").waitFor();
    expect(await dash.getByRole("link", { name: "Tải CSV" }).getAttribute("href")).toContain("format=csv");

    await page.screenshot({ path: join(SHOTS, "console-dashboard-desktop.png"), fullPage: true });
    expect(errors).toEqual([]);
    await ctx.close();
  }, 60_000);
});
