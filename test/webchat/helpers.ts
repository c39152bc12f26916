import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { WebchatChannel, type WebchatOptions } from "../../adapters/webchat/channel.js";
import type { Entry, ServerFrame } from "../../adapters/webchat/types.js";
import type { ChannelAdapter } from "../../src/ports/channel.js";
import { channelDeps } from "../../src/root/compose.js";
import type { AppDeps } from "../../src/server/app.js";
import { CHROMIUM } from "../helpers/browser.js";
import { type Harness, type HarnessOptions, harness } from "../helpers/harness.js";

export interface Chat {
  h: Harness;
  chat: WebchatChannel;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * The real app (runtime, engine, in-memory store) with the live chat, listening on a random port.
 * Every test visitor comes from 127.0.0.1, so unless a test sets `webchat.floods` the limit of
 * new visitors per IP is lifted (the flood tests use the shipped limits).
 */
export async function startChat(
  opts: {
    harness?: HarnessOptions;
    webchat?: Partial<Omit<WebchatOptions, "deps">>;
    /** More channels next to the live chat (the Telegram one the operators' group rides on). */
    channels?: (d: AppDeps) => ChannelAdapter[];
  } = {},
): Promise<Chat> {
  let chat: WebchatChannel | undefined;
  const h = await harness({
    operators: true,
    ...opts.harness,
    makeChannels: (d) => {
      chat = new WebchatChannel({
        config: d.content.config.webchat,
        deps: channelDeps(d),
        brand: d.content.config.brand.name,
        floods: { ...d.content.config.limits.webchat, new_visitors_per_ip: 10_000 },
        ...opts.webchat,
      });
      return [chat, ...(opts.channels?.(d) ?? [])];
    },
  });
  await h.hotro.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = h.hotro.app.server.address() as AddressInfo;
  if (!chat) throw new Error("no webchat channel");
  return { h, chat, url: `http://127.0.0.1:${port}`, close: () => h.close() };
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's Chromium with a fresh profile (removed on close). */
export async function launchBrowser(): Promise<{ ctx: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "hotro-webchat-"));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh",
  });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The WebSocket upgrade's answer for an `Origin`: 101 when accepted, the HTTP status when refused. */
export function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/webchat/ws`, {
      agent: false,
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.from("0123456789abcdef").toString("base64"),
        ...(origin ? { origin } : {}),
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The `ws` client (what @fastify/websocket uses; its types are not installed, so typed here). */
interface WsSocket {
  readonly readyState: number;
  send(data: string | Buffer, opts?: { binary?: boolean }): void;
  close(): void;
  on(event: "message", fn: (data: Buffer) => void): void;
  on(event: "open", fn: () => void): void;
  on(event: "close", fn: (code: number) => void): void;
  on(event: "error" | "unexpected-response", fn: (arg: unknown) => void): void;
}
const WebSocketClient = createRequire(import.meta.url)("ws").WebSocket as new (
  url: string,
  opts?: { headers?: Record<string, string> },
) => WsSocket;

/** A scripted browser: sends frames, collects what the server says. */
export class Client {
  readonly frames: ServerFrame[] = [];
  closed?: number;
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WsSocket) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on("close", (code) => {
      this.closed = code;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(url: string, origin?: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocketClient(`${url.replace(/^http/, "ws")}/webchat/ws`, {
      headers: { ...headers, ...(origin ? { origin } : {}) },
    });
    const c = new Client(ws);
    return new Promise((resolve, reject) => {
      ws.on("open", () => resolve(c));
      ws.on("error", reject);
    });
  }

  /**
   * Open and say hello, as a new visitor or presenting `creds` (an id with or without its
   * secret); resolves with the welcome: the visitor, the secret when a new one was made, the history.
   */
  static async hello(
    url: string,
    creds?: { visitor?: string; secret?: string },
    headers?: Record<string, string>,
  ): Promise<{ c: Client; visitor: string; secret?: string; history: Entry[] }> {
    const c = await Client.open(url, undefined, headers);
    const { visitor, secret } = creds ?? {};
    c.send({ type: "hello", lang: "vi", ...(visitor ? { visitor } : {}), ...(secret ? { secret } : {}) });
    const w = await c.next((f) => f.type === "welcome" || (f.type === "error" && f.code === "too_many_visitors"));
    if (w.type !== "welcome") throw new Error(`no welcome: ${JSON.stringify(w)}`);
    return { c, visitor: w.visitor, history: w.history, ...(w.secret ? { secret: w.secret } : {}) };
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first frame (from `from` on) matching `match`, waiting up to `ms`. */
  async next<T extends ServerFrame>(match: (f: ServerFrame) => f is T, ms?: number, from?: number): Promise<T>;
  async next(match: (f: ServerFrame) => boolean, ms?: number, from?: number): Promise<ServerFrame>;
  async next(match: (f: ServerFrame) => boolean, ms = 5000, from = 0): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.slice(from).find(match);
      if (f) return f;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
