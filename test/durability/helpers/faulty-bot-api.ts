import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { TOKEN } from "./server-process.js";

/** How the Bot API behaves: normally, accepting connections and never answering, refusing them, or 500. */
export type Fault = "ok" | "blackhole" | "refuse" | "500";

/**
 * The Telegram Bot API on a fixed local port, with a switch for the ways a platform fails:
 * `blackhole` (what a blocked network does: the connection opens, no answer ever comes),
 * `refuse` (nothing listens on the port), `500` (the API answers, with errors). Messages it
 * accepts (`ok` only) are recorded once each.
 */
export class FaultyBotApi {
  mode: Fault = "ok";
  readonly sent: { chat: number; text: string }[] = [];
  /** Every sendMessage that reached the server, whatever it was answered. */
  attempts = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(mode: Fault = "ok"): Promise<this> {
    this.mode = mode;
    if (mode !== "refuse") await this.listen();
    else this.port = await this.reservePort();
    return this;
  }

  async set(mode: Fault): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    if (was === "blackhole") this.dropHeld();
    if (mode === "refuse" && this.server) await this.close();
    if (mode !== "refuse" && !this.server) await this.listen();
  }

  chats(): Set<number> {
    return new Set(this.sent.map((s) => s.chat));
  }

  async stop(): Promise<void> {
    this.dropHeld();
    if (this.server) await this.close();
  }

  private async listen(): Promise<void> {
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const method = (req.url ?? "").split("?")[0]?.replace(`/bot${TOKEN}/`, "") ?? "";
      if (method === "sendMessage") this.attempts++;
      if (this.mode === "blackhole") {
        this.held.add(res);
        return;
      }
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (this.mode === "500") return answer(500, { ok: false, error_code: 500, description: "Internal Server Error" });
      if (method === "getMe") {
        return answer(200, {
          ok: true,
          result: { id: 4242, is_bot: true, first_name: "HoTro", username: "hotro_bot" },
        });
      }
      if (method === "sendMessage") {
        const p = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as { chat_id?: unknown; text?: unknown };
        this.sent.push({ chat: Number(p.chat_id), text: String(p.text ?? "") });
        return answer(200, {
          ok: true,
          result: {
            message_id: this.sent.length,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(p.chat_id) },
          },
        });
      }
      return answer(200, { ok: true, result: true });
    });
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  }

  private dropHeld(): void {
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  private async reservePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }
}
