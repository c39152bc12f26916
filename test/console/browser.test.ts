import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../../src/root/compose.js";
import { parseEnv } from "../../src/root/env.js";
import type { Hotro } from "../../src/server/app.js";
import { browserAvailable, CHROMIUM } from "../helpers/browser.js";
import { waitFor } from "../helpers/fake-platform.js";
import { CHROMIUM_ARGS } from "../webchat/helpers.js";
import { APP_ID, APP_SECRET, ENV_REFRESH, FakeZalo, OA_SECRET, signed, USER, userText } from "../zalo/fake-zalo.js";

/**
 * The console in Debian's Chromium against the production wiring (`buildServer`, what
 * `npm start` runs) on a temporary SQLite store: a Zalo user (through the real webhook and a
 * local Zalo server) asks for a person, two operators handle it from their consoles. Telegram
 * is enabled but its API is unreachable and no operators' group is set: the console alone
 * carries the whole cycle. Screenshots go to docs/ with UPDATE_SCREENSHOTS=1, elsewhere to a
 * temporary folder.
 */
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";
const SHOTS = UPDATE ? "docs" : mkdtempSync(join(tmpdir(), "hotro-console-shots-"));
const PASSWORD = "mật khẩu đủ dài 2026";
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const OTHER = "2468458835291979333";

describe.runIf(browserAvailable())("the operators' console in a browser", () => {
  let zalo: FakeZalo;
  let hotro: Hotro;
  let base = "";
  let dir = "";
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    zalo = await new FakeZalo().start();
    zalo.names.set(USER, "Nguyễn Văn Minh");
    dir = mkdtempSync(join(tmpdir(), "hotro-console-"));
    const env = parseEnv({
      DATA_DIR: join(dir, "data"),
      LOG_LEVEL: "silent",
      ZALO_APP_ID: APP_ID,
      ZALO_APP_SECRET: APP_SECRET,
      ZALO_OA_SECRET_KEY: OA_SECRET,
      ZALO_REFRESH_TOKEN: ENV_REFRESH,
      ZALO_API_URL: zalo.api.url,
      ZALO_OAUTH_URL: zalo.oauth.url,
      // Telegram is on, but its API cannot be reached (port 9 answers nothing) and no
      // operators' group is configured.
      TELEGRAM_BOT_TOKEN: "123456:console-test-token",
      TELEGRAM_WEBHOOK_SECRET: "console_test_secret",
      TELEGRAM_API_ROOT: "http://127.0.0.1:9",
    });
    expect(env.OPERATORS_TELEGRAM_CHAT_ID).toBeUndefined();
    hotro = await buildServer(env);
    await hotro.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(hotro.app.server.address() as AddressInfo).port}`;
    await hotro.desk.accounts.add({ name: "lan", role: "agent", password: PASSWORD, displayName: "Lan Nguyễn" });
    await hotro.desk.accounts.add({ name: "hoa", role: "lead", password: PASSWORD, displayName: "Hoa Trần" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await hotro?.close();
    await zalo?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (!UPDATE) rmSync(SHOTS, { recursive: true, force: true });
  });

  async function consoleFor(name: string, viewport = DESKTOP): Promise<Page> {
    const ctx = await browser.newContext({
      viewport,
      locale: "vi-VN",
      timezoneId: "Asia/Ho_Chi_Minh",
      permissions: ["notifications"],
    });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(`${name}: ${e.message}`));
    await page.goto(`${base}/console`);
    await page.getByLabel("Tên đăng nhập").fill(name);
    await page.getByLabel("Mật khẩu").fill(PASSWORD);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.getByRole("tab", { name: /^Mới/ }).waitFor();
    await page.getByText("Trực tiếp", { exact: true }).waitFor();
    // Notifications and the sound are turned on with a click, as a browser requires.
    await page.getByRole("button", { name: "Bật thông báo" }).click();
    await page.getByRole("button", { name: "Đã bật thông báo" }).waitFor();
    return page;
  }

  async function zaloSays(text: string, user = USER): Promise<void> {
    const { payload, headers } = signed(userText(text, user));
    const res = await fetch(`${base}/webhooks/zalo`, { method: "POST", headers, body: payload });
    expect(res.status).toBe(200);
  }

  const zaloGot = (part: string) => zalo.delivered(USER).some((r) => JSON.stringify(r.body).includes(part));
  const item = (page: Page, id: string) => page.locator(`.list [data-id="${id}"]`);
  const transcript = (page: Page) => page.getByRole("log", { name: "Hội thoại" });

  it("runs the whole cycle from two consoles, live, with Telegram out of reach", async () => {
    const lan = await consoleFor("lan");
    const hoa = await consoleFor("hoa");
    // Both see each other online.
    for (const p of [lan, hoa]) {
      await p.locator(".online").getByText("Lan Nguyễn").waitFor();
      await p.locator(".online").getByText("Hoa Trần").waitFor();
    }

    // The lead keeps a canned reply, written in the console.
    await hoa.getByRole("button", { name: "Câu trả lời mẫu" }).click();
    const dialog = hoa.getByRole("dialog", { name: "Quản lý câu trả lời mẫu" });
    await dialog.getByLabel("Lối tắt").fill("chao");
    await dialog
      .getByLabel("Nội dung")
      .fill("Chào {name}, em là {operator}. Yêu cầu {request_id} đang được xử lý; gấp thì gọi {hotline} ạ.");
    await dialog.getByRole("button", { name: "Thêm" }).click();
    await dialog.getByText("/chao").waitFor();
    await dialog.getByRole("button", { name: "Đóng" }).click();

    // A Zalo user asks for a person: both consoles show the request live, no reload.
    await zaloSays("cho mình gặp nhân viên");
    await waitFor(() => zaloGot("HT-000001"), 10_000, "the user told a person will answer");
    for (const p of [lan, hoa]) {
      await item(p, "HT-000001").waitFor();
      await expect.poll(() => p.locator("[data-alert]").textContent()).toBe("Yêu cầu mới HT-000001");
      await expect.poll(() => p.getByRole("tab", { name: /^Mới/ }).textContent()).toContain("1");
    }
    await expect.poll(() => item(lan, "HT-000001").getAttribute("class")).toContain("unread");

    // Lan takes it; Hoa's take comes second and is refused, with who has it.
    await item(lan, "HT-000001").click();
    await transcript(lan).getByText("cho mình gặp nhân viên").waitFor();
    await item(hoa, "HT-000001").click();
    await hoa.getByRole("heading", { name: /HT-000001/ }).waitFor();
    await lan.getByRole("button", { name: "Nhận xử lý" }).click();
    await transcript(lan).getByText("Lan Nguyễn đã nhận xử lý").waitFor();
    await hoa.getByRole("button", { name: "Nhận xử lý" }).click();
    await hoa.getByRole("alert").getByText("HT-000001 đã được Lan Nguyễn nhận trước.").waitFor();
    await transcript(hoa).getByText("Lan Nguyễn đã nhận xử lý").waitFor();

    // The user's name came from Zalo when the request was opened; the reply window is shown.
    await lan.getByRole("heading", { name: /Nguyễn Văn Minh/ }).waitFor();
    // Zalo's first 48 hours are free (issue 16): the chip says how long the free part lasts.
    expect(await lan.locator(".window-chip").textContent()).toMatch(
      /Zalo · (miễn phí còn (2 ngày|4\d giờ)|còn (7 ngày|16\d giờ))/,
    );

    // A reply, typed and sent with Enter, reaches the Zalo server.
    const composer = lan.getByRole("textbox", { name: "Trả lời" });
    await composer.fill("Dạ em chào anh, anh cần hỗ trợ gì ạ?");
    await composer.press("Enter");
    await waitFor(() => zaloGot("Dạ em chào anh, anh cần hỗ trợ gì ạ?"), 10_000, "the reply on Zalo");
    await transcript(hoa).getByText("Dạ em chào anh, anh cần hỗ trợ gì ạ?").waitFor();

    // A canned reply, picked by typing "/", filled for this request, reaches Zalo too.
    await composer.fill("/ch");
    const picker = lan.getByRole("listbox", { name: "Câu trả lời mẫu" });
    await picker.getByRole("option", { name: /\/chao/ }).waitFor();
    await composer.press("Enter");
    const filled =
      "Chào Nguyễn Văn Minh, em là Lan Nguyễn. Yêu cầu HT-000001 đang được xử lý; gấp thì gọi 1900 6868, 028 3822 6868 ạ.";
    await expect.poll(() => composer.inputValue()).toBe(filled);
    await composer.press("Enter");
    await waitFor(() => zaloGot(filled), 10_000, "the canned reply on Zalo");

    // A private note: both consoles show it, the user never gets it.
    await lan.keyboard.press("Escape");
    await lan.locator("body").click({ position: { x: 5, y: 400 } });
    await lan.keyboard.press("n");
    const note = lan.getByRole("textbox", { name: "Ghi chú" });
    await expect.poll(() => lan.evaluate(`document.activeElement?.getAttribute("aria-label")`)).toBe("Ghi chú");
    await note.fill("Khách VIP, đã xác minh SĐT");
    await note.press("Enter");
    await transcript(hoa).getByText("Khách VIP, đã xác minh SĐT").waitFor();
    await transcript(lan).locator(".note").getByText("Khách VIP, đã xác minh SĐT").waitFor();

    // The user writes again: both consoles show it live.
    await zaloSays("mình bị khóa tài khoản từ sáng");
    await transcript(hoa).getByText("mình bị khóa tài khoản từ sáng").waitFor();
    await transcript(lan).getByText("mình bị khóa tài khoản từ sáng").waitFor();

    // A reply Zalo refuses (the 7-day window) shows its error on that message.
    zalo.api.times(1, (r) => r.path === "/v3.0/oa/message/cs", { body: { error: -230, message: "no interaction" } });
    await lan.getByRole("tab", { name: "Trả lời" }).click();
    await composer.fill("Anh còn đó không ạ?");
    await composer.press("Enter");
    await transcript(lan)
      .locator(".msg.failed", { hasText: "Anh còn đó không ạ?" })
      .getByText(/Không gửi được: .*7 days.*-230/)
      .waitFor();

    // Another Zalo user, with fraud words: an urgent request, in both inboxes at once.
    zalo.names.set(OTHER, "Trần Thị Bích");
    await zaloSays("tôi bị lừa đảo mất tiền rồi", OTHER);
    for (const p of [lan, hoa]) await item(p, "HT-000002").waitFor();
    await expect.poll(() => item(hoa, "HT-000002").textContent()).toContain("Khẩn");

    // The screenshots: inbox and conversation, desktop and phone.
    mkdirSync(SHOTS, { recursive: true });
    await hoa.getByRole("alert").getByRole("button", { name: "Đóng" }).click();
    await lan.getByRole("tab", { name: /^Đang mở/ }).click();
    await item(lan, "HT-000001").waitFor();
    await lan.screenshot({ path: join(SHOTS, "console-conversation-desktop.png") });
    await lan.setViewportSize(PHONE);
    await lan.getByRole("button", { name: "Quay lại danh sách" }).waitFor();
    await lan.screenshot({ path: join(SHOTS, "console-conversation-phone.png") });
    await lan.getByRole("button", { name: "Quay lại danh sách" }).click();
    await item(lan, "HT-000001").waitFor();
    await lan.screenshot({ path: join(SHOTS, "console-inbox-phone.png") });
    await lan.setViewportSize(DESKTOP);
    await hoa.getByRole("tab", { name: /^Đang mở/ }).click();
    await hoa.getByRole("button", { name: "Quay lại danh sách" }).isHidden();
    await hoa.screenshot({ path: join(SHOTS, "console-inbox-desktop.png") });
    for (const f of ["inbox-desktop", "inbox-phone", "conversation-desktop", "conversation-phone"])
      expect(statSync(join(SHOTS, `console-${f}.png`)).size).toBeGreaterThan(10_000);

    // Lan closes it: the user is told, the bot answers again, Hoa sees it resolved live.
    // With the keyboard: c asks first (closing tells the user), then the confirmation closes.
    await item(lan, "HT-000001").click();
    await lan.locator("body").click({ position: { x: 5, y: 400 } });
    await lan.keyboard.press("c");
    const confirm = lan.getByRole("alertdialog");
    await confirm.getByText("Đóng HT-000001? Người dùng sẽ được báo.").waitFor();
    await confirm.getByRole("button", { name: "Đóng yêu cầu" }).click();
    await waitFor(() => zaloGot("HT-000001 của bạn đã được nhân viên xử lý xong"), 10_000, "the user told");
    await expect.poll(() => hoa.getByRole("tab", { name: /^Đã xong/ }).textContent()).toContain("1");
    await transcript(hoa).getByText("Lan Nguyễn đã đóng yêu cầu").waitFor();

    // Nothing of the note ever went to Zalo, and nothing was asked of Telegram's group.
    expect(zalo.delivered(USER).some((r) => JSON.stringify(r.body).includes("Khách VIP"))).toBe(false);
    expect(errors).toEqual([]);
  }, 120_000);

  it("logs in, refuses a wrong password, and works in English with the keyboard", async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP, locale: "en-GB" });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(`en: ${e.message}`));
    await page.goto(`${base}/console?lang=en`);
    await page.getByLabel("Username").fill("hoa");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").getByText("Wrong username or password.").waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("tab", { name: /^Resolved/ }).click();
    await item(page, "HT-000001").waitFor();
    // j opens the first request, ? shows the shortcuts.
    await page.keyboard.press("j");
    await page.getByRole("heading", { name: /HT-000001/ }).waitFor();
    await page.getByRole("button", { name: "Reopen" }).waitFor();
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Shortcuts" }).waitFor();
    await page.keyboard.press("Escape");
    // A reload keeps the login (the cookie), and logging out ends it.
    await page.reload();
    await page.getByRole("tab", { name: /^New/ }).waitFor();
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("Username").waitFor();
    await page.reload();
    await page.getByLabel("Username").waitFor();
    expect(errors).toEqual([]);
  });
});
