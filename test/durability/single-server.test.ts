import { connect } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { fetch } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakePlatform, waitFor } from "../helpers/fake-platform.js";
import { APP_ID, APP_SECRET, ENV_REFRESH, FakeZalo, OA_SECRET } from "../zalo/fake-zalo.js";
import { FakeBotApi, orderFor, QUESTIONS, questionOf, textUpdate } from "./helpers/bot-api.js";
import {
  freePort,
  OPERATOR_TOKEN,
  removeDir,
  SECRET,
  ServerProcess,
  sleep,
  telegramEnv,
  tempDir,
} from "./helpers/server-process.js";
import { WebhookClient } from "./helpers/webhook-client.js";

const MiB = 1024 * 1024;

/**
 * One real server process (embedded store) with every channel enabled against local fakes:
 * body limits on each webhook, a send that fails with 500 then 429 before it goes through,
 * and a SIGTERM that finishes the acknowledged work before the process exits.
 */
describe("one server process", () => {
  const api = new FakeBotApi();
  const graph = new FakePlatform();
  const zalo = new FakeZalo();
  const client = new WebhookClient();
  const dir = tempDir("single");
  let failed = false;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
    });
  });
  const dataDir = join(dir, "data");
  let server: ServerProcess;

  beforeAll(async () => {
    await Promise.all([api.start(), graph.start(), zalo.start()]);
    server = new ServerProcess(
      "single",
      await freePort(),
      {
        DATA_DIR: dataDir,
        ...telegramEnv(api.url),
        MESSENGER_PAGE_ACCESS_TOKEN: "EAAG-durability-page-token",
        MESSENGER_APP_SECRET: "durability-app-secret",
        MESSENGER_VERIFY_TOKEN: "durability-verify",
        MESSENGER_GRAPH_URL: graph.url,
        ZALO_APP_ID: APP_ID,
        ZALO_APP_SECRET: APP_SECRET,
        ZALO_OA_SECRET_KEY: OA_SECRET,
        ZALO_REFRESH_TOKEN: ENV_REFRESH,
        ZALO_API_URL: zalo.api.url,
        ZALO_OAUTH_URL: zalo.oauth.url,
        OPERATOR_API_TOKEN: OPERATOR_TOKEN,
      },
      join(dir, "single.log"),
    );
    await server.start();
  }, 90_000);
  afterAll(async () => {
    if (server?.alive) await server.stop("SIGKILL");
    await client.close();
    await Promise.all([api.stop(), graph.stop(), zalo.stop()]);
    if (!failed) removeDir(dir);
  });

  const headers: Record<string, Record<string, string>> = {
    "/webhooks/telegram": { "x-telegram-bot-api-secret-token": SECRET },
    "/webhooks/messenger": { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
    "/webhooks/zalo": { "x-zevent-signature": `mac=${"0".repeat(64)}` },
    "/api/requests/HT-000001/reply": { authorization: `Bearer ${OPERATOR_TOKEN}` },
  };

  it.each(Object.keys(headers))("answers 413 to a body over 1 MiB on %s, declared or streamed", async (path) => {
    // Content-Length says it up front; or no length (chunked) and the limit holds while it streams in.
    expect(await postRaw(`${server.url}${path}`, headers[path] ?? {}, MiB + 64 * 1024, false)).toBe(413);
    expect(await postRaw(`${server.url}${path}`, headers[path] ?? {}, MiB + 64 * 1024, true)).toBe(413);
    // Just under the limit is read (and then judged on its merits: signature, shape…).
    const small = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers[path] },
      body: JSON.stringify({ pad: "x".repeat(MiB - 100) }),
    });
    expect(small.status).not.toBe(413);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("delivers one message when the Bot API answers 500, then 429 (retry_after 1), then 200", {
    timeout: 60_000,
  }, async () => {
    const chat = 990_001;
    api.failNext(chat, 1, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        parameters: { retry_after: 1 },
      },
    });
    api.failNext(chat, 1, { status: 500, body: { ok: false, error_code: 500, description: "Internal Server Error" } });
    await client.deliver(textUpdate(9_000_001, chat, "số hotline là gì"), () => server.url);
    await waitFor(() => api.answers(chat).length === 1, 20_000, "the delivery");
    await sleep(1500);
    const attempts = api.attempts(chat);
    expect(attempts).toHaveLength(3);
    expect(api.answers(chat).map((a) => questionOf(a.text))).toEqual([0]);
    expect((attempts[2]?.at ?? 0) - (attempts[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("on SIGTERM answers everything acknowledged before exiting, within 10 s, and leaves nothing to redo", {
    timeout: 90_000,
  }, async () => {
    const first = 991_000;
    const convs = 20;
    await Promise.all(
      Array.from({ length: convs }, async (_, n) => {
        for (const [k, q] of orderFor(n).entries()) {
          await client.deliver(
            textUpdate(9_100_000 + n * 10 + k, first + n, QUESTIONS[q]?.text ?? ""),
            () => server.url,
          );
        }
      }),
    );
    const answeredBefore = (t: number) =>
      api.sent.filter((s) => s.chat >= first && s.chat < first + convs && s.at <= t).length;
    const db = new Database(join(dataDir, "hotro.db"), { readonly: true, fileMustExist: true });
    const pending = (
      db
        .prepare(
          "SELECT (SELECT count(*) FROM inbox WHERE state = 0) + (SELECT count(*) FROM outbox WHERE state = 0) AS n",
        )
        .get() as {
        n: number;
      }
    ).n;
    db.close();
    const term = Date.now();
    const unansweredAtTerm = convs * QUESTIONS.length - answeredBefore(term);
    const exit = await server.stop("SIGTERM");
    const tookMs = exit.at - term;
    console.log(
      JSON.stringify({ sigterm: { acked: convs * QUESTIONS.length, pending, unansweredAtTerm, tookMs, exit } }),
    );
    expect(pending + unansweredAtTerm).toBeGreaterThan(0); // there was work left to finish
    expect(exit.code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(answeredBefore(exit.at)).toBe(convs * QUESTIONS.length);
    for (let n = 0; n < convs; n++) {
      expect(api.answers(first + n).map((a) => questionOf(a.text))).toEqual(orderFor(n));
    }
    expect(server.count("shutdown took longer than 10 s: exiting; unfinished work resumes at the next start")).toBe(0);

    // A restart on the same store finds nothing left to do and sends nothing again.
    const total = api.sent.length;
    await server.start();
    await sleep(1000);
    expect(api.sent.length).toBe(total);
    await server.stop("SIGTERM");
  });
});

/**
 * POST `bytes` of body over a raw socket, with a Content-Length or chunked, reading while
 * writing and stopping as soon as the server answers (a client library writing on into a
 * closed connection would see EPIPE instead of the answer): the status, or an error when the
 * server closed without one.
 */
function postRaw(url: string, extra: Record<string, string>, bytes: number, chunked: boolean): Promise<number> {
  const u = new URL(url);
  const size = 64 * 1024;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let answer = "";
    let status = 0;
    let written = 0;
    socket.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (m && !status) {
        status = Number(m[1]);
        resolve(status);
        socket.destroy();
      }
    });
    socket.on("error", (err) => (status ? undefined : reject(err)));
    socket.on("close", () =>
      status ? undefined : reject(new Error(`closed without an answer after ${written} bytes`)),
    );
    socket.on("connect", async () => {
      const head = Object.entries({
        "content-type": "application/json",
        ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(bytes) }),
        ...extra,
      })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(`POST ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\n${head}\r\n`);
      const chunk = Buffer.alloc(size, "x");
      while (written < bytes && !status && !socket.destroyed) {
        if (chunked) socket.write(`${size.toString(16)}\r\n`);
        socket.write(chunk);
        if (chunked) socket.write("\r\n");
        written += size;
        await sleep(2);
      }
      if (chunked && !status && !socket.destroyed) socket.write("0\r\n\r\n");
    });
  });
}
