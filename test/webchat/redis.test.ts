import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushPrefix, redisReachable } from "../helpers/redis.js";
import { type Chat, Client, startChat } from "./helpers.js";

const available = await redisReachable();

/**
 * Two server processes on one Redis (REDIS_URL): the visitor's socket is on one, the reply may
 * be sent by the other's outbox worker. History lives in the shared kv store, live frames go
 * through Redis pub/sub.
 */
describe.runIf(available)("webchat with two processes on Redis", () => {
  const prefix = `hotro-test:${randomUUID()}:`;
  let a: Chat;
  let b: Chat;
  beforeAll(async () => {
    // The live frames travel on the backend's bus: Redis pub/sub under this test's prefix.
    a = await startChat({ harness: { redisPrefix: prefix } });
    b = await startChat({ harness: { redisPrefix: prefix } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await flushPrefix(prefix);
  });

  it("a reply sent by one process reaches the socket held by the other; both keep the same history", async () => {
    const me = await Client.hello(b.url);
    const { c, visitor } = me;
    await c.next((f) => f.type === "message" && f.entry.from === "bot", 10_000);
    expect(
      await a.chat.send({
        kind: "send",
        channel: "webchat",
        userId: visitor,
        conv: `webchat:${visitor}`,
        message: { text: "Lan đây, mình xem giúp bạn nhé", from: { kind: "operator", name: "Lan" } },
        byPerson: true,
      }),
    ).toEqual({ ok: true });
    const live = await c.next((f) => f.type === "message" && f.entry.from === "operator", 10_000);
    expect(live).toMatchObject({ entry: { name: "Lan", text: "Lan đây, mình xem giúp bạn nhé" } });

    c.send({ type: "message", id: "t1", text: "tk bi khoa" });
    await c.next((f) => f.type === "message" && /Tài khoản bị khóa là tài khoản nào/.test(f.entry.text ?? ""), 10_000);
    const fromA = await a.chat.history.list(visitor);
    expect(fromA.map((e) => e.from)).toEqual(["bot", "operator", "user", "bot", "bot", "bot"]);
    expect(await b.chat.history.list(visitor)).toEqual(fromA);
    expect(a.chat.health()).toEqual({ ok: true });

    // Reconnecting to the other process shows the same conversation.
    c.close();
    const again = await Client.hello(a.url, me);
    expect(again.visitor).toBe(visitor);
    expect(again.history).toEqual(fromA);
    again.c.close();
  });
});
