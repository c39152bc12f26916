import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import type { ServerFrame } from "../../adapters/webchat/types.js";
import { waitFor } from "../helpers/fake-platform.js";
import { type Call, OPS_CHAT, recorder, telegramFor } from "../telegram/helpers.js";
import { type Chat, Client, sleep, startChat } from "./helpers.js";

type Ack = Extract<ServerFrame, { type: "ack" }>;
const isAck = (f: ServerFrame): f is Ack => f.type === "ack";
const botSaid = (c: Client, re: RegExp) => c.next((f) => f.type === "message" && re.test(f.entry.text ?? ""));

/**
 * The live chat's credential: a public visitor id (what operators see) and a secret only the
 * visitor's browser holds. The id alone, or a wrong secret, gets a new visitor: never the old
 * history, never writing as them. The secret reaches no operator-facing text, log, record or metric.
 */
describe("the live chat's credential", () => {
  const calls: Call[] = [];
  let s: Chat;
  beforeAll(async () => {
    const tg: { channel?: TelegramChannel } = {};
    s = await startChat({
      channels: telegramFor(
        { transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) },
        tg,
      ),
      harness: {
        makeOperators: (d) =>
          telegramOperators(String(OPS_CHAT), tg.channel as TelegramChannel, d, {
            pacing: { burst: 100, intervalMs: 5 },
          }),
      },
    });
  });
  afterAll(() => s.close());

  it("a new visitor gets a public id and a secret; both together continue the conversation", async () => {
    const first = await Client.hello(s.url);
    expect(first.visitor).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await botSaid(first.c, /Xin chào/);
    first.c.send({ type: "message", id: "c1", text: "giờ làm việc" });
    await first.c.next(isAck);
    first.c.close();

    const again = await Client.hello(s.url, first);
    expect(again.visitor).toBe(first.visitor);
    expect(again.secret).toBeUndefined(); // given once, when it was made
    expect(again.history.map((e) => e.text)).toContain("giờ làm việc");
    again.c.close();
  });

  it("the id alone, a wrong secret or another visitor's secret: a new visitor, no history, no writing as them", async () => {
    const alice = await Client.hello(s.url);
    await botSaid(alice.c, /Xin chào/);
    alice.c.send({ type: "message", id: "a1", text: "tài khoản minh_99 bị khóa" });
    await alice.c.next(isAck);
    const bob = await Client.hello(s.url);
    const secret = alice.secret ?? "";
    const flipped = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    const attempts = [
      { visitor: alice.visitor },
      { visitor: alice.visitor, secret: bob.secret ?? "" },
      { visitor: alice.visitor, secret: flipped },
      { visitor: alice.visitor, secret: "short" },
      { visitor: alice.visitor, secret: "" },
    ];
    for (const [i, creds] of attempts.entries()) {
      const intruder = await Client.hello(s.url, creds);
      expect(intruder.visitor, JSON.stringify(creds)).not.toBe(alice.visitor);
      expect(intruder.history).toEqual([]);
      expect(intruder.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      intruder.c.send({ type: "message", id: `x${i}`, text: `mình là chủ tài khoản ${i}` });
      await intruder.c.next(isAck);
      intruder.c.close();
    }
    await sleep(300);
    const history = await s.chat.history.list(alice.visitor);
    expect(JSON.stringify(history)).not.toContain("chủ tài khoản");
    expect(JSON.stringify(await s.h.hotro.backend.sessions.get(`webchat:${alice.visitor}`))).not.toContain(
      "chủ tài khoản",
    );
    expect(JSON.stringify(alice.c.frames)).not.toContain("chủ tài khoản");
    expect(s.h.logs.join("")).toContain("a visitor id without its secret: a new visitor instead");

    // Alice herself is still Alice, with her history.
    const back = await Client.hello(s.url, alice);
    expect(back.visitor).toBe(alice.visitor);
    expect(back.history.map((e) => e.text)).toContain("tài khoản minh_99 bị khóa");
    for (const c of [alice.c, bob.c, back.c]) c.close();
  });

  it("a visitor stored by an earlier version (an id, no secret) gets a new identity; the old history stays put", async () => {
    const old = "Zx9_oldVisitorId123456";
    await s.chat.history.append(old, { id: "u:old1", from: "user", text: "tin nhắn cũ", at: Date.now() });
    const w = await Client.hello(s.url, { visitor: old });
    expect(w.visitor).not.toBe(old);
    expect(w.history).toEqual([]);
    expect(w.secret).toBeDefined();
    expect((await s.chat.history.list(old)).map((e) => e.text)).toEqual(["tin nhắn cũ"]);
    w.c.close();
  });

  it("the secret reaches no operator-facing text, log line, record, queued job or metric", async () => {
    const v = await Client.hello(s.url);
    const secret = v.secret ?? "";
    expect(secret).not.toBe("");
    await botSaid(v.c, /Xin chào/);
    v.c.send({ type: "message", id: "h1", text: "cho mình gặp nhân viên" });
    const topic = await waitFor(() =>
      calls.find((c) => c.method === "createForumTopic" && String(c.payload.name).includes(v.visitor)),
    );
    // Operators see the public reference.
    expect(String(topic.payload.name)).toMatch(/^HT-\d{6} · Web · /);
    v.c.send({ type: "message", id: "h2", text: "mình bị trừ tiền hai lần" });
    await waitFor(() => calls.some((c) => String(c.payload.text ?? "").includes("mình bị trừ tiền hai lần")));

    const requests = await s.h.hotro.backend.requests.list({ channel: "webchat" });
    const transcripts = await Promise.all(requests.map((r) => s.h.hotro.backend.requests.transcript(r.id)));
    const db = (s.h.hotro.backend as unknown as { db: import("better-sqlite3").Database }).db;
    const tables = ["kv", "inbox", "outbox", "requests", "transcript", "dedupe"].map((t) =>
      db.prepare(`SELECT * FROM ${t}`).all(),
    );
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const places: Record<string, string> = {
      "the operators' group": JSON.stringify(calls),
      "request records": JSON.stringify(requests),
      transcripts: JSON.stringify(transcripts),
      "the store (ops jobs, outbox and inbox bodies, sessions, kv)": JSON.stringify(tables),
      logs: s.h.logs.join(""),
      metrics,
    };
    for (const [where, text] of Object.entries(places)) expect(text, where).not.toContain(secret);
    expect(JSON.stringify(tables)).toContain(v.visitor);
    // What is stored instead: its SHA-256.
    expect(JSON.stringify(tables)).toContain(createHash("sha256").update(secret).digest("base64url"));
    v.c.close();
  });
});
