import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, textOf } from "./helpers/harness.js";

describe("server", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({
      env: { OPERATOR_API_TOKEN: "metrics-token-0123456789" },
      // A webhook that refuses everything: the rejected-signature counter must see it.
      plugins: [(app) => void app.post("/webhooks/cli-test", async (_req, reply) => reply.code(401).send({}))],
    });
  });
  afterAll(() => h.close());

  it("answers /healthz and /readyz with no platform configured", async () => {
    expect((await h.hotro.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    const ready = await h.hotro.app.inject({ url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: "ready" });
  });

  it("exposes Prometheus metrics that count messages and intents", async () => {
    await h.say("xin chào", { user: "metrics" });
    const res = await h.hotro.app.inject({
      url: "/metrics",
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    expect(res.body).toMatch(/hotro_messages_in_total\{channel="cli"\} [1-9]/);
    expect(res.body).toMatch(/hotro_intents_total\{intent="greeting"\} [1-9]/);
    expect(res.body).toContain("hotro_turn_seconds_bucket");
  });

  it("counts what a desk watches: requests by priority, hand-offs, refused webhooks", async () => {
    await h.say("cho mình gặp nhân viên", { user: "metrics-desk" });
    const refused = await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/cli-test",
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    expect(refused.statusCode).toBe(401);
    const res = await h.hotro.app.inject({
      url: "/metrics",
      headers: { authorization: "Bearer metrics-token-0123456789" },
    });
    expect(res.body).toMatch(/hotro_requests_created_total\{channel="cli",priority="\w+"\} 1/);
    expect(res.body).toMatch(/hotro_handoffs_total\{channel="cli"\} 1/);
    expect(res.body).toMatch(/hotro_webhook_rejected_total\{channel="cli-test"\} 1/);
    expect(res.body).toContain("hotro_channel_state{");
  });

  it("refuses bodies over 1 MiB with 413", async () => {
    const res = await h.hotro.app.inject({
      method: "POST",
      url: "/readyz",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ x: "a".repeat(1024 * 1024 + 10) }),
    });
    expect(res.statusCode).toBe(413);
  });
});

describe("secrets", () => {
  it("an OTP a user sends never reaches the store, the logs or an outbound message unmasked", async () => {
    const h = await harness({ operators: true });
    try {
      // In bot mode: the user is warned, and the code is masked everywhere.
      const replies = await h.say("mã otp của mình là 583920, có cần gửi cho ai không", { user: "otp" });
      expect(textOf(replies)).toMatch(/OTP|mật khẩu/i);
      // While a person handles the conversation, the mirrored copy is masked too.
      await h.say("cho mình gặp nhân viên", { user: "otp" });
      const later = await h.say("otp 583920", { user: "otp" });
      expect(textOf(later)).toMatch(/OTP/i); // only the warning: the bot is otherwise quiet

      const db = (h.hotro.backend as unknown as { db: import("better-sqlite3").Database }).db;
      const dump = JSON.stringify(
        ["kv", "inbox", "outbox", "requests", "transcript", "dedupe"].map((t) =>
          db.prepare(`SELECT * FROM ${t}`).all(),
        ),
      );
      expect(dump).not.toContain("583920");
      expect(dump).toContain("******");
      expect(h.logs.join("")).not.toContain("583920");
      expect(JSON.stringify(h.cli.sent)).not.toContain("583920");
      expect(JSON.stringify(h.ops.jobs)).not.toContain("583920");
      expect(h.ops.jobs.some((j) => j.op === "mirror" && j.text?.includes("******"))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
