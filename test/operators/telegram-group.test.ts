import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { operatorApi } from "../../src/server/operator-api.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import {
  type Call,
  OPS_CHAT,
  operatorButton,
  operatorUpdate,
  recorder,
  SECRET,
  telegramFor,
  textUpdate,
} from "../telegram/helpers.js";

/**
 * A user on Telegram asks for a person; the request opens a topic in the operators' forum
 * group; an operator answers there; the bot keeps quiet and mirrors; a restart loses no
 * mapping; /close hands the user back to the bot.
 */
describe("operators in a Telegram forum group", () => {
  const dir = mkdtempSync(join(tmpdir(), "hotro-ops-"));
  const calls: Call[] = [];
  let h: Harness;
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const out: { channel?: TelegramChannel } = {};
    h = await harness({
      dataDir: dir,
      plugins: [operatorApi],
      makeChannels: telegramFor(
        { transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) },
        out,
      ),
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), out.channel as TelegramChannel, d, {
          pacing: { burst: 100, intervalMs: 5 },
        }),
    });
  };
  const post = (body: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      payload: JSON.stringify(body),
    });
  const toUser = () => calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === 9001);
  const toGroup = () => calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === OPS_CHAT);

  it("runs the whole hand-off, across a restart", async () => {
    await start();
    // 1. The user asks for a person.
    await post(textUpdate(9001, "cho mình gặp nhân viên với", undefined, "Minh"));
    const topic = await waitFor(() => calls.find((c) => c.method === "createForumTopic"));
    expect(topic.payload.name).toBe("HT-000001 · Telegram · Minh · normal");
    const card = await waitFor(() => toGroup().find((c) => String(c.payload.text).includes("HT-000001")));
    expect(card.payload.message_thread_id).toBe(71);
    expect(String(card.payload.text)).toContain("cho mình gặp nhân viên với");
    const buttons = (
      card.payload.reply_markup as { inline_keyboard: { callback_data: string }[][] }
    ).inline_keyboard.flat();
    expect(buttons.map((b) => b.callback_data)).toEqual([
      "ops:take:HT-000001",
      "ops:close:HT-000001",
      "ops:bot:HT-000001",
    ]);
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes("HT-000001")));

    // 2. An operator answers in the topic: it reaches the user, named.
    await post(operatorUpdate("Chào anh Minh, em là Lan bên hỗ trợ ạ.", { threadId: 71 }));
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes("em là Lan")));
    expect(toUser().at(-1)?.payload.text).toBe("Lan:\nChào anh Minh, em là Lan bên hỗ trợ ạ.");

    // 3. The user's next message is mirrored (a secret masked), the bot says nothing but the warning.
    const before = toUser().length;
    await post(textUpdate(9001, "tài khoản của mình là minh_99, otp 482913", undefined, "Minh"));
    const mirrored = await waitFor(() => toGroup().find((c) => String(c.payload.text).includes("minh_99")));
    expect(mirrored.payload.text).toBe("Minh: tài khoản của mình là minh_99, otp ******");
    expect(mirrored.payload.message_thread_id).toBe(71);
    await waitFor(() => toUser().length > before);
    const warnings = toUser().slice(before);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.payload.text)).toMatch(/OTP/);
    expect(JSON.stringify(calls)).not.toContain("482913");

    // 4. Restart: a new process on the same store still maps the topic to the request.
    await h.close();
    await start();
    await post(operatorUpdate("Em đã mở khóa, anh thử lại nhé.", { threadId: 71 }));
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes("Em đã mở khóa")));
    // A reply to the card (not in the topic) maps too.
    const n0 = toUser().length;
    await post(operatorUpdate("Anh thử đăng nhập lại giúp em.", { replyTo: Number(card.payload._message_id) }));
    await waitFor(
      () => toUser().length > n0 && String(toUser().at(-1)?.payload.text).includes("Anh thử đăng nhập lại"),
    );

    // 5. /close: the user is told, the topic closed, the bot answers again.
    await post(operatorUpdate("/close", { threadId: 71 }));
    await waitFor(() =>
      toUser().some(
        (c) =>
          String(c.payload.text).includes("HT-000001") && String(c.payload.text).match(/đã được|xử lý xong|resolved/i),
      ),
    );
    await waitFor(() => calls.some((c) => c.method === "closeForumTopic"));
    const rec = await h.hotro.backend.requests.get("HT-000001");
    expect(rec?.status).toBe("resolved");
    const n = toUser().length;
    await post(textUpdate(9001, "số hotline là gì", undefined, "Minh"));
    await waitFor(() => toUser().length > n);
    expect(String(toUser().at(-1)?.payload.text)).toContain("1900 6868");
  });

  it("takes a request with the button and records the assignee; a stray message gets help", async () => {
    await post(textUpdate(9002, "gặp nhân viên", undefined, "Hoa"));
    await waitFor(() =>
      calls.some((c) => c.method === "createForumTopic" && String(c.payload.name).startsWith("HT-000002")),
    );
    await post(operatorButton("ops:take:HT-000002", { id: 556, first_name: "Tuấn" }));
    await waitFor(async () => (await h.hotro.backend.requests.get("HT-000002"))?.assignee === "Tuấn");
    expect((await h.hotro.backend.requests.get("HT-000002"))?.status).toBe("in_progress");
    await waitFor(() => calls.some((c) => c.method === "answerCallbackQuery"));
    await waitFor(() => toGroup().some((c) => String(c.payload.text).includes("Tuấn đã nhận xử lý HT-000002")));

    await post(operatorUpdate("mọi người ơi ai trực ca tối?", {}, { id: 557, first_name: "Nam" }));
    await waitFor(() => toGroup().some((c) => String(c.payload.text).includes("không thuộc yêu cầu nào")));
  });

  it("stays in step with the web console: its reply, its reopen and its notes show in the topic", async () => {
    await h.hotro.desk.accounts.add({
      name: "lan",
      role: "agent",
      password: "a long enough password",
      displayName: "Lan",
    });
    const login = await h.hotro.app.inject({
      method: "POST",
      url: "/api/login",
      payload: { username: "lan", password: "a long enough password" },
    });
    const as = {
      cookies: { hotro_console: login.cookies.find((c) => c.name === "hotro_console")?.value ?? "" },
      headers: { "x-csrf-token": login.json().csrf },
    };
    // HT-000001 was closed in the group: the console reopens it.
    expect(
      (await h.hotro.app.inject({ method: "POST", url: "/api/requests/HT-000001/reopen", ...as })).statusCode,
    ).toBe(202);
    await waitFor(() => calls.some((c) => c.method === "reopenForumTopic" && c.payload.message_thread_id === 71));
    await waitFor(() => toGroup().some((c) => String(c.payload.text) === "HT-000001 đã được Lan mở lại."));
    const reply = await h.hotro.app.inject({
      method: "POST",
      url: "/api/requests/HT-000001/reply",
      payload: { text: "Em mở lại yêu cầu để kiểm tra thêm ạ." },
      ...as,
    });
    expect(reply.statusCode).toBe(202);
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes("Em mở lại yêu cầu")));
    const relayed = await waitFor(() =>
      toGroup().find((c) => String(c.payload.text) === "🖥 Lan (bàn hỗ trợ web): Em mở lại yêu cầu để kiểm tra thêm ạ."),
    );
    expect(relayed.payload.message_thread_id).toBe(71);
    // A reply written in the group (here: to the relayed line) is not sent back into it.
    const n = toGroup().length;
    await post(operatorUpdate("Anh chờ em chút nhé.", { replyTo: Number(relayed.payload._message_id) }));
    await waitFor(() => toUser().some((c) => String(c.payload.text).includes("Anh chờ em chút nhé")));
    await new Promise((r) => setTimeout(r, 200));
    expect(
      toGroup()
        .slice(n)
        .some((c) => String(c.payload.text).includes("Anh chờ em chút nhé")),
    ).toBe(false);
    // A note written in the console shows in the topic for colleagues, and never reaches the user.
    const note = await h.hotro.app.inject({
      method: "POST",
      url: "/api/requests/HT-000001/notes",
      payload: { text: "Khách VIP, ưu tiên." },
      ...as,
    });
    expect(note.statusCode).toBe(201);
    const posted = await waitFor(() => toGroup().find((c) => String(c.payload.text).includes("Khách VIP, ưu tiên.")));
    expect(String(posted.payload.text)).toMatch(/^📝 Ghi chú của Lan/);
    expect(posted.payload.message_thread_id).toBe(71);
    expect(toUser().some((c) => String(c.payload.text).includes("Khách VIP"))).toBe(false);
    // And the group's reply is in the console's view of the request.
    const view = (await h.hotro.app.inject({ url: "/api/requests/HT-000001", ...as })).json();
    expect(view.transcript.some((e: { text: string }) => e.text === "Anh chờ em chút nhé.")).toBe(true);
  });
});
