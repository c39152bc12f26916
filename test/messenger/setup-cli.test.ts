import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMessengerProfile, greetingText, runMessengerSetup } from "../../adapters/messenger/setup.js";
import { parseEnv } from "../../src/root/env.js";
import { shippedContent } from "../helpers/content.js";
import { FakePlatform } from "../helpers/fake-platform.js";
import { graphError, TOKEN } from "./setup.js";

const run = promisify(execFile);
const content = shippedContent();
const PROFILE_PATH = "/v21.0/me/messenger_profile";

const EXPECTED = {
  get_started: { payload: "GET_STARTED" },
  greeting: [
    { locale: "default", text: "Xin chào! Mình là trợ lý tự động của HoTro Demo. Bạn cần hỗ trợ gì ạ?" },
    { locale: "en_US", text: "Hello! I'm the automated assistant of HoTro Demo. What can I do for you?" },
  ],
  persistent_menu: [
    {
      locale: "default",
      composer_input_disabled: false,
      call_to_actions: [
        { type: "postback", title: "Kênh liên hệ", payload: "intent:contact.channels" },
        { type: "postback", title: "Gửi yêu cầu hỗ trợ", payload: "intent:ticket.create" },
        { type: "postback", title: "Kiểm tra yêu cầu", payload: "intent:ticket.status" },
        { type: "postback", title: "Gặp nhân viên", payload: "intent:handoff.human" },
      ],
    },
    {
      locale: "en_US",
      composer_input_disabled: false,
      call_to_actions: [
        { type: "postback", title: "Contact channels", payload: "intent:contact.channels" },
        { type: "postback", title: "Report a problem", payload: "intent:ticket.create" },
        { type: "postback", title: "Check my request", payload: "intent:ticket.status" },
        { type: "postback", title: "Talk to a person", payload: "intent:handoff.human" },
      ],
    },
  ],
  // flows/platforms.yaml: ice_breaker_<intent>.
  ice_breakers: [
    {
      locale: "default",
      call_to_actions: [
        { question: "Liên hệ bộ phận hỗ trợ bằng cách nào?", payload: "intent:contact.channels" },
        { question: "Mình muốn báo một sự cố", payload: "intent:ticket.create" },
        { question: "Yêu cầu của mình xử lý tới đâu rồi?", payload: "intent:ticket.status" },
        { question: "Cho mình gặp nhân viên", payload: "intent:handoff.human" },
      ],
    },
    {
      locale: "en_US",
      call_to_actions: [
        { question: "How can I contact support?", payload: "intent:contact.channels" },
        { question: "I want to report a problem", payload: "intent:ticket.create" },
        { question: "Where is my request at?", payload: "intent:ticket.status" },
        { question: "I'd like to talk to a person", payload: "intent:handoff.human" },
      ],
    },
  ],
};

describe("npm run messenger:setup", () => {
  let fake: FakePlatform;
  beforeAll(async () => {
    fake = await new FakePlatform().start((r) =>
      r.query.get("access_token") === "EAABadToken0000000" ? graphError(190, 463) : { body: { result: "success" } },
    );
  });
  afterAll(() => fake.stop());

  const env = (token = TOKEN) =>
    parseEnv({
      MESSENGER_PAGE_ACCESS_TOKEN: token,
      MESSENGER_APP_SECRET: "FAKE_SECRET",
      MESSENGER_VERIFY_TOKEN: "v",
      MESSENGER_GRAPH_URL: `${fake.url}/v21.0`,
    });

  it("builds the profile from flows: greeting ≤ 160 characters, menu titles from the intents", () => {
    const p = buildMessengerProfile(content);
    expect(p).toEqual(EXPECTED);
    for (const g of p.greeting) expect(g.text.length).toBeLessThanOrEqual(160);
    expect(greetingText("Một. Hai.")).toBe("Một. Hai.");
    expect(greetingText("x".repeat(200))).toHaveLength(160);
  });

  it("an intent without its ice breaker question in flows is asked by its title", () => {
    const bare = structuredClone(content);
    delete (bare.flows.messages as Record<string, unknown>).ice_breaker_ticket_status;
    const p = buildMessengerProfile(bare);
    expect(p.ice_breakers[0]?.call_to_actions[2]).toEqual({
      question: "Kiểm tra yêu cầu",
      payload: "intent:ticket.status",
    });
    expect(p.ice_breakers.every((b) => b.call_to_actions.length <= 4)).toBe(true);
  });

  it("POSTs exactly that body to {GRAPH_URL}/me/messenger_profile", async () => {
    const r = await runMessengerSetup(env(), content);
    expect(r.ok).toBe(true);
    const calls = fake.to(PROFILE_PATH);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe("POST");
    expect(calls[0]?.query.get("access_token")).toBe(TOKEN);
    expect(calls[0]?.body).toEqual(EXPECTED);
    expect(r.lines.join("\n")).toContain("Get Started");
    expect(r.lines.join("\n")).not.toContain(TOKEN);
  });

  it("as a command: prints what it did (exit 0), or the error clearly (exit 1)", async () => {
    const cmd = (token: string) =>
      run(process.execPath, ["--import", "tsx", "adapters/messenger/setup.ts"], {
        env: {
          ...process.env,
          MESSENGER_PAGE_ACCESS_TOKEN: token,
          MESSENGER_APP_SECRET: "FAKE_SECRET",
          MESSENGER_VERIFY_TOKEN: "v",
          MESSENGER_GRAPH_URL: `${fake.url}/v21.0`,
        },
      });
    const ok = await cmd(TOKEN);
    expect(ok.stdout).toContain("Messenger profile updated");
    expect(ok.stdout).toContain("Gặp nhân viên (intent:handoff.human)");
    expect(ok.stdout).toContain(
      "ice breakers [default] Liên hệ bộ phận hỗ trợ bằng cách nào? (intent:contact.channels)",
    );
    const bad = await cmd("EAABadToken0000000").then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toContain("NOT updated");
    expect(bad?.stderr).toContain("renew MESSENGER_PAGE_ACCESS_TOKEN");
    expect(`${bad?.stderr}${bad?.stdout}`).not.toContain("EAABadToken0000000");
  });
});
