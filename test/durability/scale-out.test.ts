import { join } from "node:path";
import { fetch } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fake-platform.js";
import { redisReachable } from "../helpers/redis.js";
import { FakeBotApi, orderFor, QUESTIONS, questionOf, textUpdate } from "./helpers/bot-api.js";
import { claimRedisDb, type RedisDb, redisPendingSends } from "./helpers/redis-db.js";
import {
  freePort,
  OPERATOR_TOKEN,
  removeDir,
  ServerProcess,
  sleep,
  telegramEnv,
  tempDir,
} from "./helpers/server-process.js";
import { WebhookClient } from "./helpers/webhook-client.js";

const available = await redisReachable();

/**
 * Three server processes on one Redis (different ports, same REDIS_URL), as behind a load
 * balancer: one conversation's messages land on all three and are still answered in order,
 * once; sessions and requests are shared.
 */
describe.runIf(available)("three processes on one Redis", () => {
  const api = new FakeBotApi();
  const client = new WebhookClient();
  const dir = tempDir("scale-out");
  let failed = false;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
  });
  const servers: ServerProcess[] = [];
  let redis: RedisDb;

  beforeAll(async () => {
    redis = await claimRedisDb("scale-out");
    await api.start();
    for (const name of ["a", "b", "c"]) {
      servers.push(
        new ServerProcess(
          `scale-${name}`,
          await freePort(),
          { REDIS_URL: redis.url, OPERATOR_API_TOKEN: OPERATOR_TOKEN, ...telegramEnv(api.url) },
          join(dir, `scale-${name}.log`),
        ),
      );
    }
    await Promise.all(servers.map((s) => s.start()));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(servers.filter((s) => s.alive).map((s) => s.stop("SIGTERM")));
    await client.close();
    await api.stop();
    await redis?.release();
    if (!failed) removeDir(dir);
  });

  const at = (i: number) => servers[i % servers.length]?.url ?? "";

  it("answers each conversation in order and once when its messages land on different processes", {
    timeout: 90_000,
  }, async () => {
    const first = 720_000;
    const convs = 60;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: convs }, async (_, n) => {
        for (const [k, q] of orderFor(n).entries()) {
          // Message k of conversation n goes to process (n + k) mod 3: every conversation uses all three.
          await client.deliver(textUpdate(3_000_000 + n * 10 + k, first + n, QUESTIONS[q]?.text ?? ""), () =>
            at(n + k),
          );
          await sleep(Math.random() * 40);
        }
      }),
    );
    const done = () => Array.from({ length: convs }, (_, n) => api.answers(first + n).length).every((l) => l >= 5);
    await waitFor(done, 60_000, "every answer");
    const tookMs = Date.now() - started;
    await sleep(1000);
    const wrong: string[] = [];
    for (let n = 0; n < convs; n++) {
      const got = api.answers(first + n).map((a) => questionOf(a.text));
      if (got.join(",") !== orderFor(n).join(",")) wrong.push(`${first + n}: ${got.join(",")} (sent ${orderFor(n)})`);
    }
    // Which processes did the work: each took a share of the events and of the sends.
    const requests = servers.map((s) => s.count("request"));
    console.log(
      JSON.stringify({
        scaleOut: {
          conversations: convs,
          messages: convs * 5,
          answers: api.sent.length,
          tookMs,
          webhookRequestsPerProcess: requests,
          wrong,
        },
      }),
    );
    expect(wrong).toEqual([]);
    expect(api.sent.filter((s) => s.chat >= first && s.chat < first + convs)).toHaveLength(convs * 5);
  });

  it("shares sessions and requests: a form filled across three processes, its request seen and answered from the others", {
    timeout: 60_000,
  }, async () => {
    const chat = 729_999;
    const say = async (i: number, text: string, id: number) => {
      const before = api.answers(chat).length;
      await client.deliver(textUpdate(id, chat, text), () => at(i));
      await waitFor(() => api.answers(chat).length > before, 10_000, `an answer to "${text}"`);
      // A turn may answer in several messages: wait until they stop coming.
      for (let n = 0; n !== api.answers(chat).length; ) {
        n = api.answers(chat).length;
        await sleep(400);
      }
      return api
        .answers(chat)
        .slice(before)
        .map((a) => a.text)
        .join("\n");
    };
    expect(await say(0, "tk bị khoá rồi", 3_900_001)).toContain("tài khoản");
    await say(1, "minh_99", 3_900_002); // the form's state lives in Redis, not in process a
    const done = await say(2, "hôm qua", 3_900_003);
    const id = /HT-\d{6}/.exec(done)?.[0];
    expect(id, done).toBeDefined();

    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    for (const s of servers) {
      const r = await fetch(`${s.url}/api/requests/${id}`, { headers: auth });
      expect(r.status, s.name).toBe(200);
      const body = (await r.json()) as { request: { userId: string; fields: Record<string, string> } };
      expect(body.request.userId).toBe(String(chat));
      expect(Object.values(body.request.fields)).toContain("minh_99");
    }
    // An operator answers through process b; whichever process holds the conversation sends it, once.
    const r = await fetch(`${at(1)}/api/requests/${id}/reply`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ text: "Chào bạn, nhân viên Lan đây.", operator: "Lan" }),
    });
    expect(r.status).toBe(202);
    await waitFor(() => api.answers(chat).some((a) => a.text.includes("nhân viên Lan đây")), 10_000, "the reply");
    await sleep(500);
    expect(api.answers(chat).filter((a) => a.text.includes("nhân viên Lan đây"))).toHaveLength(1);
    const list = await fetch(`${at(2)}/api/requests?status=in_progress`, { headers: auth });
    expect(((await list.json()) as { requests: { id: string }[] }).requests.map((q) => q.id)).toContain(id);
  });

  it("loses nothing when one of the three is SIGKILLed: the others finish its conversations, in order", {
    timeout: 120_000,
  }, async () => {
    const first = 725_000;
    const convs = 45;
    const total = convs * 5;
    const base = client.stats.acked;
    const victim = servers[2];
    if (!victim) throw new Error("no third process");
    let killed: Promise<{ chat: number; text: string }[]> | undefined;
    await Promise.all(
      Array.from({ length: convs }, async (_, n) => {
        await sleep(n * 30);
        for (const [k, q] of orderFor(n).entries()) {
          // Like a load balancer: try the next process when one does not answer.
          await client.deliver(textUpdate(3_500_000 + n * 10 + k, first + n, QUESTIONS[q]?.text ?? ""), (attempt) =>
            at(n + k + attempt),
          );
          if (!killed && client.stats.acked - base >= 0.4 * total) {
            killed = victim.stop("SIGKILL").then(() => redisPendingSends(redis.client));
          }
          await sleep(100 + Math.random() * 200);
        }
      }),
    );
    const pending = await killed;
    const inFlight = new Set(
      (pending ?? [])
        .filter((p) => api.answers(p.chat).some((a) => questionOf(a.text) === questionOf(p.text)))
        .map((p) => `${p.chat}:${questionOf(p.text)}`),
    );
    const complete = () =>
      Array.from(
        { length: convs },
        (_, n) => new Set(api.answers(first + n).map((a) => questionOf(a.text))).size,
      ).every((l) => l === 5);
    await waitFor(complete, 60_000, "every answer");
    await sleep(1000);
    const wrong: string[] = [];
    const resent: string[] = [];
    for (let n = 0; n < convs; n++) {
      const got = api.answers(first + n).map((a) => questionOf(a.text));
      for (const q of QUESTIONS.keys()) {
        const copies = got.filter((g) => g === q).length;
        if (copies > 1) resent.push(`${first + n}:${q}`);
        if (copies > 1 && (copies > 2 || !inFlight.has(`${first + n}:${q}`)))
          wrong.push(`${first + n}: ${q} × ${copies}`);
      }
      const seen = got.filter((q, i) => q !== got[i - 1]);
      if (seen.join(",") !== orderFor(n).join(",")) wrong.push(`${first + n}: ${got.join(",")} (sent ${orderFor(n)})`);
    }
    console.log(
      JSON.stringify({
        scaleOutKill: {
          messages: total,
          acked: client.stats.acked - base,
          inFlightAtKill: inFlight.size,
          resent,
          wrong,
        },
      }),
    );
    expect(wrong).toEqual([]);
  });
});
