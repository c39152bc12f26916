import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { signatureFor } from "../../adapters/messenger/verify.js";
import { FakePlatform, waitFor } from "../helpers/fake-platform.js";
import { SECRET as FB_SECRET, TOKEN as FB_TOKEN, VERIFY as FB_VERIFY, SEND_PATH } from "../messenger/setup.js";
import {
  ENV_REFRESH,
  FakeZalo,
  OA_SECRET,
  signed,
  userText,
  APP_ID as ZALO_APP,
  APP_SECRET as ZALO_SECRET,
} from "../zalo/fake-zalo.js";
import { textUpdate } from "./helpers/bot-api.js";
import { type Fault, FaultyBotApi } from "./helpers/faulty-bot-api.js";
import { freePort, removeDir, ServerProcess, telegramEnv, tempDir } from "./helpers/server-process.js";
import { WebhookClient } from "./helpers/webhook-client.js";

/**
 * One platform's outage must stay its own: the server starts and serves the other channels
 * while the Bot API is refused, black-holed or failing, and what waited for Telegram arrives,
 * once, when it is back. Real server processes (what `npm start` runs) against local
 * platform servers.
 */

interface Rig {
  server: ServerProcess;
  telegram: FaultyBotApi;
  graph: FakePlatform;
  zalo: FakeZalo;
  dir: string;
}

const rigs: Rig[] = [];
afterAll(async () => {
  for (const r of rigs) {
    if (r.server.alive) await r.server.stop("SIGKILL");
    await Promise.all([r.telegram.stop(), r.graph.stop(), r.zalo.stop()]);
  }
});

async function rig(fault: Fault, readyWithinMs: number): Promise<Rig> {
  const telegram = await new FaultyBotApi().start(fault);
  const graph = await new FakePlatform().start((r) =>
    r.path === SEND_PATH ? { body: { recipient_id: "x", message_id: `m_${r.at}` } } : { body: {} },
  );
  const zalo = await new FakeZalo().start();
  const dir = tempDir("outage");
  const server = new ServerProcess(
    "outage",
    await freePort(),
    {
      DATA_DIR: join(dir, "data"),
      ...telegramEnv(telegram.url),
      MESSENGER_PAGE_ACCESS_TOKEN: FB_TOKEN,
      MESSENGER_APP_SECRET: FB_SECRET,
      MESSENGER_VERIFY_TOKEN: FB_VERIFY,
      MESSENGER_GRAPH_URL: `${graph.url}/v21.0`,
      ZALO_APP_ID: ZALO_APP,
      ZALO_APP_SECRET: ZALO_SECRET,
      ZALO_OA_SECRET_KEY: OA_SECRET,
      ZALO_REFRESH_TOKEN: ENV_REFRESH,
      ZALO_API_URL: zalo.api.url,
      ZALO_OAUTH_URL: zalo.oauth.url,
    },
    join(dir, "server.log"),
  );
  const r = { server, telegram, graph, zalo, dir };
  rigs.push(r);
  await server.start(readyWithinMs);
  return r;
}

let mid = 0;
async function messengerSays(r: Rig, user: string, text: string): Promise<void> {
  const raw = JSON.stringify({
    object: "page",
    entry: [
      {
        id: "1895382890692545",
        time: Date.now(),
        messaging: [
          {
            sender: { id: user },
            recipient: { id: "1895382890692545" },
            timestamp: Date.now(),
            message: { mid: `m_outage_${++mid}`, text },
          },
        ],
      },
    ],
  });
  const res = await fetch(`${r.server.url}/webhooks/messenger`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": signatureFor(raw, FB_SECRET) },
    body: raw,
  });
  expect(res.status).toBe(200);
}

async function zaloSays(r: Rig, user: string, text: string): Promise<void> {
  const { payload, headers } = signed(userText(text, user));
  const res = await fetch(`${r.server.url}/webhooks/zalo`, { method: "POST", headers, body: payload });
  expect(res.status).toBe(200);
}

const messengerReplies = (r: Rig, user: string) =>
  r.graph.to(SEND_PATH).filter((q) => {
    const b = q.body as { recipient?: { id?: string }; message?: unknown };
    return b.recipient?.id === user && b.message !== undefined;
  });

async function readyz(r: Rig): Promise<{ status: string; checks: Record<string, { ok: boolean; state?: string }> }> {
  const res = await fetch(`${r.server.url}/readyz`);
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; checks: Record<string, { ok: boolean; state?: string }> };
}

describe("start-up never waits on a platform", () => {
  for (const fault of ["refuse", "blackhole"] as const) {
    it(`with the Bot API ${fault === "refuse" ? "refusing connections" : "black-holed"}: listens and answers a Messenger user`, async () => {
      // Before, the process never listened at all. It listens ~50 ms after its first log
      // line; the generous deadline covers tsx's start on a loaded CI machine (timing is
      // for benchmarks, not tests).
      const r = await rig(fault, 30_000);
      expect((await fetch(`${r.server.url}/healthz`)).status).toBe(200);
      await messengerSays(r, "fb-start", "xin chào");
      await waitFor(() => messengerReplies(r, "fb-start").length > 0, 10_000, "a reply to the Messenger user");
      const ready = await readyz(r);
      expect(ready.checks.telegram?.ok).toBe(false);
      expect(ready.checks.messenger?.ok).toBe(true);
      await r.server.stop("SIGTERM");
      removeDir(r.dir);
    });
  }
});

describe("a Telegram outage under load", () => {
  it("keeps Messenger and Zalo answering through black-hole, refused and 500 phases; Telegram's replies all arrive once after", async () => {
    const r = await rig("blackhole", 40_000);
    const client = new WebhookClient();
    const USERS = 130;
    const base = 800_000;
    try {
      await Promise.all(
        Array.from({ length: USERS }, (_, i) =>
          client.deliver(textUpdate(base + i, base + i, "số hotline là gì"), () => r.server.url),
        ),
      );
      expect(client.stats.acked).toBe(USERS);

      // Each phase: a user of another channel writes and is answered while Telegram is still down.
      const phases: [Fault, () => Promise<void>][] = [
        ["blackhole", () => messengerSays(r, "fb-1", "số hotline là gì")],
        ["refuse", () => zaloSays(r, "9000000000000000001", "số hotline là gì")],
        ["500", () => messengerSays(r, "fb-2", "email hỗ trợ là gì")],
      ];
      for (const [fault, say] of phases) {
        await r.telegram.set(fault);
        await say();
      }
      await waitFor(() => messengerReplies(r, "fb-1").length > 0, 10_000, "Messenger's reply in the black-hole phase");
      await waitFor(() => r.zalo.delivered("9000000000000000001").length > 0, 10_000, "Zalo's reply");
      await waitFor(() => messengerReplies(r, "fb-2").length > 0, 10_000, "Messenger's reply in the 500 phase");
      // All of that while Telegram had accepted nothing.
      expect(r.telegram.sent).toHaveLength(0);
      const during = await readyz(r);
      expect(during.status).toBe("degraded");
      expect(during.checks.telegram?.ok).toBe(false);
      expect(during.checks.messenger?.ok).toBe(true);
      expect(during.checks.zalo?.ok).toBe(true);

      await r.telegram.set("ok");
      await waitFor(() => r.telegram.chats().size === USERS, 90_000, "every Telegram user's reply after the outage");
      const perChat = new Map<number, number>();
      for (const s of r.telegram.sent) perChat.set(s.chat, (perChat.get(s.chat) ?? 0) + 1);
      expect([...perChat.values()].every((n) => n === 1)).toBe(true);
      expect(r.telegram.sent.every((s) => s.text.includes("1900 6868"))).toBe(true);
      await waitFor(async () => (await readyz(r)).checks.telegram?.ok === true, 30_000, "Telegram up again");
      // Held-back sends were not each a call to the dead platform.
      expect(r.telegram.attempts).toBeLessThan(USERS * 4);
      await r.server.stop("SIGTERM");
      removeDir(r.dir);
    } finally {
      await client.close();
    }
  }, 180_000);
});
