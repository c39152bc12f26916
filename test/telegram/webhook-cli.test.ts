import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakePlatform } from "../helpers/fake-platform.js";
import { SECRET, TOKEN } from "./helpers.js";

const run = promisify(execFile);

describe("npm run telegram:webhook", () => {
  const api = new FakePlatform();
  let current = { url: "", allowed_updates: [] as string[] };
  beforeAll(async () => {
    await api.start((r) => {
      if (r.path.endsWith("/getWebhookInfo"))
        return { body: { ok: true, result: { ...current, pending_update_count: 0, has_custom_certificate: false } } };
      if (r.path.endsWith("/setWebhook")) {
        const b = r.body as { url: string; allowed_updates: string[] };
        current = { url: b.url, allowed_updates: b.allowed_updates };
        return { body: { ok: true, result: true } };
      }
      return { body: { ok: true, result: true } };
    });
  });
  const dataDir = mkdtempSync(join(tmpdir(), "hotro-tg-setup-"));
  afterAll(async () => {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const cli = (arg: string, secret = SECRET) =>
    run("npx", ["tsx", "adapters/telegram/setup.ts", arg], {
      env: {
        ...process.env,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_WEBHOOK_SECRET: secret,
        TELEGRAM_API_ROOT: api.url,
        // Its fingerprint goes to the embedded store in a temp dir, whatever Redis the run has.
        DATA_DIR: dataDir,
        REDIS_URL: "",
      },
    });

  it("registers the webhook with the secret and the update types, then does nothing the second time", async () => {
    const first = await cli("https://bot.example.vn/");
    expect(first.stdout).toContain("webhook set to https://bot.example.vn/webhooks/telegram");
    const set = api.to(`/bot${TOKEN}/setWebhook`);
    expect(set).toHaveLength(1);
    expect(set[0]?.body).toMatchObject({
      url: "https://bot.example.vn/webhooks/telegram",
      secret_token: SECRET,
      allowed_updates: ["message", "callback_query", "my_chat_member"],
    });
    const second = await cli("https://bot.example.vn");
    expect(second.stdout).toContain("already set");
    expect(api.to(`/bot${TOKEN}/setWebhook`)).toHaveLength(1);
    // The "/" menu, in Vietnamese for everyone and in English for English-speaking users.
    const menus = api
      .to(`/bot${TOKEN}/setMyCommands`)
      .map((r) => r.body as { commands: { command: string }[]; language_code?: string });
    expect(menus.map((m) => m.language_code)).toEqual([undefined, "en"]);
    expect(menus[0]?.commands.map((c) => c.command)).toEqual(["start", "menu"]);
  });

  it("sends a rotated secret again, although getWebhookInfo cannot show it", async () => {
    const rotated = await cli("https://bot.example.vn", "rotated_secret_0123456789");
    expect(rotated.stdout).toContain("webhook set to");
    const set = api.to(`/bot${TOKEN}/setWebhook`);
    expect(set.at(-1)?.body).toMatchObject({ secret_token: "rotated_secret_0123456789" });
  });

  it("refuses a URL that is not HTTPS", async () => {
    await expect(cli("http://bot.example.vn")).rejects.toMatchObject({ code: 2 });
  });
});
