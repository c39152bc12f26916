import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessengerChannel } from "../../adapters/messenger/channel.js";
import { signatureFor } from "../../adapters/messenger/verify.js";
import type { TelegramChannel } from "../../adapters/telegram/channel.js";
import { telegramOperators } from "../../adapters/telegram/index.js";
import { ZaloChannel } from "../../adapters/zalo/channel.js";
import { channelDeps } from "../../src/root/compose.js";
import { FakePlatform, waitFor } from "../helpers/fake-platform.js";
import { type Harness, harness } from "../helpers/harness.js";
import {
  delivery,
  SECRET as FB_SECRET,
  TOKEN as FB_TOKEN,
  SEND_PATH,
  userMessage,
  VERIFY,
} from "../messenger/setup.js";
import {
  type Call,
  OPS_CHAT,
  operatorUpdate,
  recorder,
  SECRET as TG_SECRET,
  telegramFor,
  textUpdate,
} from "../telegram/helpers.js";
import { FakeZalo, signed, userText, options as zaloOptions } from "../zalo/fake-zalo.js";

/**
 * SPEC "Operators", end to end through the real webhooks and local platform servers, for a
 * user on Messenger, one on Zalo and one on Telegram: ask for a person → the request opens a
 * topic in the operators' group → an operator's reply there reaches the user on their own
 * platform → the user's next message is mirrored and the bot says nothing → /close → the
 * user is told and the bot answers again.
 */
describe("hand-off to operators from every channel", () => {
  const graph = new FakePlatform();
  const zalo = new FakeZalo();
  const calls: Call[] = [];
  let h: Harness;

  beforeAll(async () => {
    await graph.start((r) =>
      r.path === SEND_PATH ? { body: { recipient_id: "x", message_id: `m_${r.at}` } } : { body: {} },
    );
    await zalo.start();
    zalo.names.set("7770000000000000001", "Thu");
    const tg: { channel?: TelegramChannel } = {};
    h = await harness({
      makeChannels: (d) => {
        const telegram = telegramFor(
          { transformers: [recorder(calls, { forum: true })], operatorsChatId: String(OPS_CHAT) },
          tg,
        )(d);
        const messenger = new MessengerChannel({
          pageAccessToken: FB_TOKEN,
          appSecret: FB_SECRET,
          verifyToken: VERIFY,
          appId: "7777777777",
          graphUrl: `${graph.url}/v21.0`,
          deps: channelDeps(d),
          probe: false,
          profiles: false,
        });
        return [...telegram, messenger, new ZaloChannel(zaloOptions(zalo), channelDeps(d))];
      },
      makeOperators: (d) =>
        telegramOperators(String(OPS_CHAT), tg.channel as TelegramChannel, d, {
          pacing: { burst: 100, intervalMs: 5 },
        }),
    });
  });
  afterAll(async () => {
    await h.close();
    await graph.stop();
    await zalo.stop();
  });

  const postTelegram = (body: unknown) =>
    h.hotro.app.inject({
      method: "POST",
      url: "/webhooks/telegram",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET },
      payload: JSON.stringify(body),
    });
  const group = () => calls.filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === OPS_CHAT);
  const topicOf = async (requestId: string) =>
    (await waitFor(
      async () => (await h.hotro.backend.requests.get(requestId))?.ops?.threadId,
      5000,
      `topic of ${requestId}`,
    )) as number;

  /** The same story for each channel; `say` writes as the user, `received` lists what the user got. */
  async function story(o: {
    name: string;
    requestId: string;
    topicName: string;
    say: (text: string) => Promise<void>;
    received: () => string[];
    /** Say hello first (Zalo looks the user's name up after their first message). */
    warmup?: boolean;
  }) {
    if (o.warmup) {
      await o.say("xin chào");
      await waitFor(() => o.received().length > 0, 5000, `${o.name}: greeted`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await o.say("cho mình gặp nhân viên");
    await waitFor(
      () => calls.find((c) => c.method === "createForumTopic" && c.payload.name === o.topicName),
      5000,
      o.topicName,
    );
    await waitFor(() => o.received().some((t) => t.includes(o.requestId)), 5000, `${o.name}: told the request id`);
    const thread = await topicOf(o.requestId);

    await postTelegram(operatorUpdate(`Chào bạn, mình là Lan (${o.name}).`, { threadId: thread }));
    await waitFor(
      () => o.received().some((t) => t.includes(`mình là Lan (${o.name})`)),
      5000,
      `${o.name}: operator's reply delivered`,
    );

    const before = o.received().length;
    await o.say(`mình bị trừ tiền 2 lần (${o.name})`);
    await waitFor(
      () =>
        group().some(
          (c) =>
            String(c.payload.text).includes(`bị trừ tiền 2 lần (${o.name})`) && c.payload.message_thread_id === thread,
        ),
      5000,
      `${o.name}: mirrored`,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(o.received().length, `${o.name}: the bot stays quiet`).toBe(before);

    await postTelegram(operatorUpdate("/close", { threadId: thread }));
    await waitFor(
      () => o.received().length > before && o.received().at(-1)?.includes(o.requestId),
      5000,
      `${o.name}: told of the close`,
    );
    expect((await h.hotro.backend.requests.get(o.requestId))?.status).toBe("resolved");

    const n = o.received().length;
    await o.say("số hotline là gì");
    await waitFor(
      () => o.received().length > n && o.received().at(-1)?.includes("1900 6868"),
      5000,
      `${o.name}: the bot answers again`,
    );
  }

  it("Messenger", async () => {
    const user = "6000000000000001";
    await story({
      name: "Messenger",
      requestId: "HT-000001",
      topicName: `HT-000001 · Messenger · ${user} · normal`,
      say: async (text) => {
        const raw = JSON.stringify(delivery([userMessage(user, text)]));
        const res = await h.hotro.app.inject({
          method: "POST",
          url: "/webhooks/messenger",
          headers: { "content-type": "application/json", "x-hub-signature-256": signatureFor(raw, FB_SECRET) },
          payload: raw,
        });
        expect(res.statusCode).toBe(200);
      },
      received: () =>
        graph
          .to(SEND_PATH)
          .filter((r) => (r.body as { recipient: { id: string } }).recipient.id === user)
          .map((r) => {
            const m = (r.body as { message?: { text?: string; attachment?: { payload?: { text?: string } } } }).message;
            return m?.text ?? m?.attachment?.payload?.text ?? "";
          })
          .filter(Boolean),
    });
    // The request belongs to the Messenger user, and every answer went out with the Page's token.
    expect(await h.hotro.backend.requests.get("HT-000001")).toMatchObject({ channel: "messenger", userId: user });
    const sends = graph.to(SEND_PATH).filter((r) => (r.body as { recipient: { id: string } }).recipient.id === user);
    expect(sends.length).toBeGreaterThan(3);
    expect(sends.every((r) => r.query.get("access_token") === FB_TOKEN)).toBe(true);
  });

  it("Zalo", async () => {
    const user = "7770000000000000001";
    await story({
      name: "Zalo",
      requestId: "HT-000002",
      topicName: "HT-000002 · Zalo · Thu · normal",
      warmup: true,
      say: async (text) => {
        // The name is looked up after the first message: say hello first so the topic is named.
        const { payload, headers } = signed(userText(text, user));
        const res = await h.hotro.app.inject({ method: "POST", url: "/webhooks/zalo", headers, payload });
        expect(res.statusCode).toBe(200);
      },
      received: () => zalo.delivered(user).map((r) => (r.body as { message?: { text?: string } }).message?.text ?? ""),
    });
  });

  it("Telegram", async () => {
    await story({
      name: "Telegram",
      requestId: "HT-000003",
      topicName: "HT-000003 · Telegram · Minh · normal",
      say: async (text) => {
        expect((await postTelegram(textUpdate(9101, text, undefined, "Minh"))).statusCode).toBe(200);
      },
      received: () =>
        calls
          .filter((c) => c.method === "sendMessage" && Number(c.payload.chat_id) === 9101)
          .map((c) => String(c.payload.text)),
    });
  });
});
