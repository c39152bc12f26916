import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import { type Call, OPS_CHAT, operatorUpdate, recorder, SECRET, telegramFor, textUpdate } from "../telegram/helpers.js";

const TOKEN = "integration-token-for-erasure-test";

/** Erasing a Telegram user's data also deletes their request's topic in the operators' forum group. */
describe("erasure and the operators' Telegram group", () => {
  const dir = mkdtempSync(join(tmpdir(), "hotro-tg-erase-"));
  const calls: Call[] = [];
  let h: Harness;
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deletes the request's forum topic (and with it every mirrored message)", async () => {
    const out: { channel?: TelegramChannel } = {};
    h = await harness({
      dataDir: dir,
      plugins: [operatorApi],
      env: { OPERATOR_API_TOKEN: TOKEN },
      makeChannels: telegramFor(
        { transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) },
        out,
      ),
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), out.channel as TelegramChannel, d, {
          pacing: { burst: 100, intervalMs: 5 },
        }),
    });
    await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(textUpdate(9101, "cho mình gặp nhân viên, sđt 0977111222", undefined, "Hạnh")),
    });
    const topic = await waitFor(() => calls.find((c) => c.method === "createForumTopic"));
    await waitFor(async () => (await h.hotro.backend.requests.list({}))[0]?.ops?.threadId !== undefined);
    const threadId = (await h.hotro.backend.requests.list({}))[0]?.ops?.threadId;
    expect(topic).toBeDefined();

    // An operator answers in the topic: the audit log has it, like a console reply.
    await h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(operatorUpdate("chào bạn, mình xem ngay", { threadId: threadId ?? 0 })),
    });
    const request = (await h.hotro.backend.requests.list({}))[0]?.id;
    await waitFor(async () => (await h.hotro.backend.audit.list()).some((e) => e.action === "reply"));
    expect((await h.hotro.backend.audit.list()).find((e) => e.action === "reply")).toMatchObject({
      actor: "telegram:Lan",
      target: request,
    });

    const res = await h.hotro.app.inject({
      method: "DELETE",
      url: "/api/people/telegram/9101",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    // The group, and the other holders (files, the quality log) that had nothing or little of this person.
    expect(res.json().erased.elsewhere).toMatchObject({ operators_group: 1, media: 0 });
    const del = calls.find((c) => c.method === "deleteForumTopic");
    expect(del?.payload).toMatchObject({ chat_id: String(OPS_CHAT), message_thread_id: threadId });
  });
});
