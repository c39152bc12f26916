import { join } from "node:path";
import { FakeBotApi, orderFor, QUESTIONS, questionOf, textUpdate } from "./bot-api.js";
import { freePort, ServerProcess, sleep, telegramEnv } from "./server-process.js";
import { WebhookClient } from "./webhook-client.js";

export interface CrashOptions {
  label: string;
  /** Where the server keeps its state: DATA_DIR, or REDIS_URL. */
  storeEnv: Record<string, string>;
  logDir: string;
  /** With the server dead: the sends its store still holds (recipient and text). */
  pendingSends(): Promise<{ chat: number; text: string }[]>;
  /** Events and sends not yet done (the run is over when this reaches 0). */
  pendingWork(): Promise<number>;
  conversations?: number;
  /** SIGKILL when this share of all messages has been acknowledged. */
  killAt?: number[];
  firstChat?: number;
}

export interface KillRecord {
  /** Messages acknowledged when the kill happened. */
  acked: number;
  /** Sends the store still held as undone although the fake had already received them. */
  inFlightSends: number;
  /** How long before the kill the fake had received the oldest of those. */
  inFlightOldestMs: number;
  /** From SIGKILL to the restarted process answering /readyz. */
  downMs: number;
}

export interface CrashReport {
  label: string;
  conversations: number;
  messages: number;
  acked: number;
  /** Webhook attempts that got no 200 (server down), resent like Telegram would. */
  resentAttempts: number;
  /** Resent updates the server had recorded already (killed before it could answer): dropped. */
  redeliveriesDropped: number;
  kills: KillRecord[];
  /** From the first message to the last answer. */
  durationMs: number;
  /** sendMessage calls the fake accepted. */
  answers: number;
  missing: string[];
  unexpected: string[];
  /** Extra copies of an answer the fake got while the killed process had not yet recorded it as sent. */
  explainedDuplicates: string[];
  /** Any other extra copy: a bug. */
  unexplainedDuplicates: string[];
  outOfOrder: string[];
}

/**
 * The crash test: `conversations` × 5 messages through the real Telegram webhook of a real
 * server process, SIGKILLed (and restarted on the same store) when given shares of the
 * messages have been acknowledged. Each conversation sends its messages one after the
 * other, as Telegram does, resending whatever got no 200. Every answer is counted at a
 * local Bot API.
 */
export async function crashRun(o: CrashOptions): Promise<CrashReport> {
  const conversations = o.conversations ?? 200;
  const killAt = o.killAt ?? [0.25, 0.6];
  const firstChat = o.firstChat ?? 700_000;
  const total = conversations * QUESTIONS.length;
  const api = await new FakeBotApi().start();
  const port = await freePort();
  const server = new ServerProcess(
    o.label,
    port,
    { ...telegramEnv(api.url), ...o.storeEnv },
    join(o.logDir, `${o.label}.log`),
  );
  const client = new WebhookClient();
  /** Per answer, how many copies the fake had each time a kill found it still unsent in the store. */
  const inFlight = new Map<string, Set<number>>();
  const kills: KillRecord[] = [];
  try {
    await server.start();
    const started = Date.now();
    const convs = Array.from({ length: conversations }, async (_, n) => {
      await sleep(n * 20);
      for (const [k, q] of orderFor(n).entries()) {
        const update = textUpdate(2_000_000 + n * 10 + k, firstChat + n, QUESTIONS[q]?.text ?? "");
        await client.deliver(update, () => server.url);
        await sleep(200 + Math.random() * 300);
      }
    });
    const load = Promise.all(convs);

    for (const share of killAt) {
      while (client.stats.acked < share * total) await sleep(10);
      const at = Date.now();
      const acked = client.stats.acked;
      await server.stop("SIGKILL");
      // What the dead process had sent but not yet recorded as sent: the restart sends it again.
      let n = 0;
      let oldest = 0;
      for (const p of await o.pendingSends()) {
        const q = questionOf(p.text);
        const got = api.answers(p.chat).filter((s) => questionOf(s.text) === q);
        const copies = got.length;
        if (copies > 0) {
          oldest = Math.max(oldest, at - (got[copies - 1]?.at ?? at));
          const key = `${p.chat}:${q}`;
          inFlight.set(key, (inFlight.get(key) ?? new Set()).add(copies));
          n++;
        }
      }
      await server.start();
      kills.push({ acked, inFlightSends: n, inFlightOldestMs: oldest, downMs: Date.now() - at });
    }
    await load;

    const answered = () => {
      for (let n = 0; n < conversations; n++) {
        const got = new Set(api.answers(firstChat + n).map((s) => questionOf(s.text)));
        if (QUESTIONS.some((_, q) => !got.has(q))) return false;
      }
      return true;
    };
    const deadline = Date.now() + 120_000;
    while (!answered() && Date.now() < deadline) await sleep(100);
    while ((await o.pendingWork()) > 0 && Date.now() < deadline) await sleep(100);
    const durationMs = Math.max(...api.sent.map((s) => s.at)) - started;
    await sleep(1000); // anything sent twice would arrive now

    const report: CrashReport = {
      label: o.label,
      conversations,
      messages: total,
      acked: client.stats.acked,
      resentAttempts: client.stats.failedAttempts,
      redeliveriesDropped: server.count("duplicate delivery dropped"),
      kills,
      durationMs,
      answers: api.sent.length,
      missing: [],
      unexpected: [],
      explainedDuplicates: [],
      unexplainedDuplicates: [],
      outOfOrder: [],
    };
    for (let n = 0; n < conversations; n++) {
      const chat = firstChat + n;
      const got = api.answers(chat).map((s) => questionOf(s.text));
      for (const [i, q] of got.entries()) if (q < 0) report.unexpected.push(`${chat}: ${api.answers(chat)[i]?.text}`);
      for (const q of QUESTIONS.keys()) {
        const copies = got.filter((g) => g === q).length;
        if (copies === 0) report.missing.push(`${chat}:${q}`);
        // Each kill that caught a new copy in flight explains one resend; nothing else does.
        const allowed = inFlight.get(`${chat}:${q}`)?.size ?? 0;
        for (let c = 1; c < copies; c++) {
          (c <= allowed ? report.explainedDuplicates : report.unexplainedDuplicates).push(`${chat}:${q}`);
        }
      }
      // A resend of the answer that was in flight comes right after it: collapse, then compare.
      const seen = got.filter((q, i) => q >= 0 && q !== got[i - 1]);
      if (seen.join(",") !== orderFor(n).join(",")) report.outOfOrder.push(`${chat}: ${seen.join(",")}`);
    }
    await server.stop("SIGTERM");
    return report;
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${server.logFile}\n${server.tail()}`);
  } finally {
    if (server.alive) await server.stop("SIGKILL");
    await client.close();
    await api.stop();
  }
}
