import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { LiveEvent } from "../../desk/live.js";
import type { Online } from "../../desk/presence.js";
import { DESK_TOPIC } from "../../ports/desk.js";
import type { AppDeps } from "../app.js";
import type { OperatorIdentity } from "./auth.js";

/** The part of a `ws` socket used here (its types are not installed). */
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: "close" | "pong", fn: () => void): void;
  on(event: "message", fn: () => void): void;
}
const OPEN = 1;

interface Conn {
  socket: Socket;
  who: OperatorIdentity;
  /** The console login behind it: the socket closes when the login ends (logout, new password). */
  tokenHash?: string;
  alive: boolean;
}

/** Frames to the console: the desk's live events, and a hello with who is online. */
export type LiveFrame = LiveEvent | { type: "hello"; online: Online[]; at: number };

/**
 * `GET /api/live`: a WebSocket inside the guarded /api scope (the same login or token as
 * every route). Events come from the backend's bus, so a console sees what happens on any
 * process: new escalations, users' messages, other operators' actions, presence. It carries
 * no history: a console fetches the inbox and the open request again each time it connects,
 * which is its catch-up after a drop. While sockets are open, their operators' presence is
 * renewed in the shared kv; a socket whose login ended is closed (4401).
 */
export class LiveHub {
  private readonly conns = new Set<Conn>();
  private unsubscribe?: () => Promise<void>;
  private timer?: NodeJS.Timeout;
  private lastOnline = "";

  constructor(
    private readonly d: AppDeps,
    private readonly everyMs = 20_000,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.d.backend.bus.subscribe(DESK_TOPIC, (m) => this.broadcast(m as LiveEvent));
    this.timer = setInterval(() => void this.beat().catch((err) => this.warn(err)), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.conns) c.socket.close(1001, "server stopping");
    await this.unsubscribe?.();
  }

  private warn(err: unknown): void {
    this.d.log.warn({ err: err instanceof Error ? err.message : String(err) }, "console live feed");
  }

  private send(c: Conn, frame: LiveFrame): void {
    if (c.socket.readyState === OPEN) c.socket.send(JSON.stringify(frame));
  }

  private broadcast(e: LiveEvent): void {
    if (e.type === "presence") this.lastOnline = JSON.stringify(e.online);
    for (const c of this.conns) {
      // Notices for the leads (low ratings, SLA, the digest) reach leads and admins only.
      if (e.type === "notice" && c.who.role === "agent") continue;
      this.send(c, e);
    }
  }

  private operatorsHere(): Online[] {
    const seen = new Map<string, Online>();
    for (const c of this.conns)
      if (c.who.via === "session") seen.set(c.who.name, { name: c.who.name, displayName: c.who.displayName });
    return [...seen.values()];
  }

  /** Tell everyone who is online, when it changed. */
  private async announce(online: Online[]): Promise<void> {
    const now = JSON.stringify(online);
    if (now === this.lastOnline) return;
    this.lastOnline = now;
    await this.d.desk.publish({ type: "presence", online });
  }

  async add(socket: Socket, who: OperatorIdentity, tokenHash?: string): Promise<void> {
    const c: Conn = { socket, who, alive: true, ...(tokenHash ? { tokenHash } : {}) };
    this.conns.add(c);
    socket.on("pong", () => {
      c.alive = true;
    });
    // Nothing is expected from the console; anything it sends is ignored.
    socket.on("message", () => undefined);
    socket.on("close", () => {
      this.conns.delete(c);
      if (who.via !== "session" || [...this.conns].some((o) => o.who.name === who.name)) return;
      void this.d.desk.presence
        .leave(who.name)
        .then((online) => this.announce(online))
        .catch((err) => this.warn(err));
    });
    const online = who.via === "session" ? await this.d.desk.presence.renew(this.operatorsHere()) : undefined;
    this.send(c, { type: "hello", online: online ?? (await this.d.desk.presence.online()), at: Date.now() });
    if (online) await this.announce(online);
  }

  /** Drop dead sockets and ended logins, renew presence. */
  private async beat(): Promise<void> {
    for (const c of this.conns) {
      if (!c.alive) {
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.socket.ping();
      } catch {
        c.socket.terminate();
        continue;
      }
      if (c.tokenHash && !(await this.d.backend.desk.logins.get(c.tokenHash))) c.socket.close(4401, "logged out");
    }
    const here = this.operatorsHere();
    if (here.length) await this.announce(await this.d.desk.presence.renew(here));
  }

  /** Sockets open on this process (tests). */
  get connections(): number {
    return this.conns.size;
  }
}

/**
 * A console's socket must come from the console's own page: a cookie is sent with a
 * cross-site WebSocket handshake too (SameSite=Strict stops most, not a same-site subdomain),
 * so the Origin must be this server's.
 */
function sameOrigin(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const origin = req.headers.origin;
  if (req.operator?.via === "session" && origin) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.headers.host) {
      void reply.code(403).send({ error: "the console's live feed accepts its own origin only" });
      return;
    }
  }
  done();
}

export async function liveRoutes(api: FastifyInstance, d: AppDeps): Promise<void> {
  const hub = new LiveHub(d);
  await hub.start();
  api.addHook("onClose", async () => hub.stop());
  api.get("/live", { websocket: true, onRequest: sameOrigin }, (socket, req) => {
    if (!req.operator) return (socket as unknown as Socket).close(4401, "not logged in");
    return hub.add(socket as unknown as Socket, req.operator, req.consoleSession?.tokenHash);
  });
  api.get("/presence", async () => ({ online: await d.desk.presence.online() }));
}
