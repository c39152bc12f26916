import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type WebchatConfig, WebchatFloods } from "../../src/content/schema.js";
import type {
  ChannelAdapter,
  ChannelDeps,
  ChannelHealth,
  EscalationAdmission,
  Intake,
} from "../../src/ports/channel.js";
import type { MediaPort } from "../../src/ports/media.js";
import type { SendJob, SendOutcome } from "../../src/ports/queue.js";
import { LANGS, type Lang } from "../../src/ports/vocabulary.js";
import { sanitize } from "../../src/runtime/runtime.js";
import { type Asset, loadAssets } from "./assets.js";
import { WEBCHAT_CAPABILITIES } from "./capabilities.js";
import { Fanout } from "./fanout.js";
import { Floods } from "./floods.js";
import { History } from "./history.js";
import { eventOf, parseFrame, startEvent, VISITOR_ID } from "./inbound.js";
import { entryOf } from "./outbound.js";
import { pageHtml } from "./page.js";
import type { ClientFrame, Entry, EntryFile, ErrorCode, ServerFrame } from "./types.js";
import { type UploadDeps, uploadRoute } from "./upload.js";
import { OriginPolicy, RateLimiter } from "./verify.js";
import { netOf, Visitors } from "./visitors.js";

export interface WebchatOptions {
  config: WebchatConfig;
  /** Flood limits (`limits.webchat` in config/limits.yaml); their defaults when absent. */
  floods?: WebchatFloods;
  deps: ChannelDeps;
  /** Allowed besides `config.allowed_origins` (WEBCHAT_ALLOWED_ORIGINS). */
  extraOrigins?: string[];
  /** The brand, in the page title. */
  brand?: string;
  /** Ping every socket this often; one that did not answer the last ping is dropped. */
  heartbeatMs?: number;
  /** The largest file a visitor may upload (config `media.webchat_max_mb`; default 10 MB). */
  maxUploadBytes?: number;
  /** The longest a visitor and their history may be kept (config/privacy.yaml `retention.webchat_visitors`). */
  retentionMs?: number;
}

/** The part of a `ws` socket used here (its types are not installed). */
interface Socket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: "message", fn: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): void;
  on(event: "close" | "pong", fn: () => void): void;
}
const OPEN = 1;

interface Conn {
  socket: Socket;
  visitor?: string;
  /** The client's network (hashed IP, see `netOf`), for the flood limits. */
  net: string;
  lang: Lang;
  alive: boolean;
  /** Malformed frames so far: past `MAX_BAD` the connection is closed (1008). */
  bad: number;
  /** Frames of one connection are handled one at a time, in order. */
  queue: Promise<void>;
}
const MAX_BAD = 20;

/**
 * The web live chat: `GET /` (the page), `/webchat/widget.js` (the same chat as a widget for any
 * site), `/webchat/config` (interface text, CORS) and `/webchat/ws` (the WebSocket). A visitor is
 * a public id plus a secret, both made by the server and kept by the browser; their conversation
 * is `webchat:<visitor id>` (operators see the id, never the secret).
 */
export class WebchatChannel implements ChannelAdapter {
  readonly id = "webchat" as const;
  readonly name = "Web";
  readonly capabilities = WEBCHAT_CAPABILITIES;
  readonly anonymous = true;
  readonly origins: OriginPolicy;
  readonly history: History;
  readonly visitors: Visitors;
  private readonly floods: Floods;
  private readonly fanout: Fanout;
  private readonly limiter: RateLimiter;
  private readonly assets: Record<string, Asset>;
  private readonly sockets = new Map<string, Set<Conn>>();
  private readonly conns = new Set<Conn>();
  private timer?: NodeJS.Timeout;
  private intake?: Intake;

  constructor(private readonly options: WebchatOptions) {
    const c = options.config;
    this.origins = new OriginPolicy([...c.allowed_origins, ...(options.extraOrigins ?? [])]);
    // Kept for the live chat's own history period, never past the privacy retention.
    const keepMs = Math.min(c.limits.history_days * 86_400_000, options.retentionMs ?? Number.POSITIVE_INFINITY);
    this.history = new History(options.deps, c.limits.history_messages, keepMs);
    this.limiter = new RateLimiter(c.limits.rate_messages, c.limits.rate_seconds * 1000);
    this.visitors = new Visitors(options.deps, keepMs);
    this.floods = new Floods(options.deps, options.floods ?? WebchatFloods.parse({}));
    this.fanout = new Fanout(options.deps.bus, (visitor, frame) => this.toLocalSockets(visitor, frame));
    const { assets, missing } = loadAssets();
    this.assets = assets;
    if (missing) options.deps.log.error(`webchat: ${missing}: GET / and the widget answer 503`);
  }

  health(): ChannelHealth {
    return this.fanout.health();
  }

  private get log() {
    return this.options.deps.log;
  }

  private text(lang: Lang, key: keyof WebchatConfig["texts"], vars: Record<string, string | number> = {}): string {
    return this.options.config.texts[key][lang].replace(/\{(\w+)\}/g, (m, k: string) => String(vars[k] ?? m));
  }

  private langOf(value: unknown): Lang {
    return LANGS.includes(value as Lang) ? (value as Lang) : this.options.config.default_language;
  }

  async routes(app: FastifyInstance, intake: Intake): Promise<void> {
    this.intake = intake;
    // The server registers the plugin once for every route (the console's feed too); on a
    // bare fastify (some tests) the chat brings its own.
    if (!app.hasDecorator("websocketServer"))
      await app.register(websocket, {
        options: { maxPayload: this.options.config.limits.max_frame_bytes },
        // `ws` has already answered (1009 for an oversized frame, 1002 for a protocol error) and
        // closes the socket itself: log it, and make sure it goes.
        errorHandler: (err, socket) => {
          this.log.info({ err: err.message }, "webchat: socket error");
          setTimeout(() => (socket as unknown as Socket).terminate(), 2_000).unref();
        },
      });

    app.get("/", async (req, reply) => {
      if (!this.assets["widget.js"]) return this.unavailable(reply);
      const lang = this.langOf((req.query as { lang?: unknown }).lang);
      const t = this.options.config.texts;
      const title = this.options.brand ? `${t.title[lang]} · ${this.options.brand}` : t.title[lang];
      const page = pageHtml({
        lang,
        title,
        description: t.subtitle[lang],
        noscript: t.noscript[lang],
      });
      return reply
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("content-security-policy", pagePolicy(req.headers.host))
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .send(page);
    });
    for (const name of ["widget.js", "widget.css"]) {
      app.get(`/webchat/${name}`, async (req, reply) => this.serveAsset(name, req, reply));
    }

    // Interface text for the widget on another site: CORS for the allowed origins only.
    app.options("/webchat/config", async (req, reply) => {
      if (!this.cors(req, reply)) return;
      return reply
        .header("access-control-allow-methods", "GET, OPTIONS")
        .header("access-control-allow-headers", "content-type")
        .header("access-control-max-age", "600")
        .code(204)
        .send();
    });
    app.get("/webchat/config", async (req, reply) => {
      if (!this.cors(req, reply)) return;
      const lang = this.langOf((req.query as { lang?: unknown }).lang);
      const texts = Object.fromEntries(Object.entries(this.options.config.texts).map(([k, v]) => [k, v[lang]]));
      return reply.header("cache-control", "no-cache").send({
        lang,
        texts,
        maxChars: this.options.config.limits.max_message_chars,
        maxFrameBytes: this.options.config.limits.max_frame_bytes,
        ws: "/webchat/ws",
        // What a visitor may attach, shown before they pick a file.
        upload: this.options.deps.media ? { path: "/webchat/upload", maxBytes: this.maxUpload } : null,
      });
    });
    if (this.options.deps.media) uploadRoute(app, this.uploadDeps());

    app.get(
      "/webchat/ws",
      {
        websocket: true,
        // Refused before the upgrade: the browser sees the handshake fail (403).
        onRequest: async (req, reply) => {
          const origin = req.headers.origin;
          if (this.origins.check(origin, req.headers.host) === "refused") {
            this.log.info({ origin }, "webchat: WebSocket from a foreign origin refused");
            return reply.code(403).send({ error: "origin not allowed" });
          }
        },
      },
      (socket, req) => this.open(socket as unknown as Socket, netOf(req.ip)),
    );
  }

  private get maxUpload(): number {
    return Math.min(this.options.maxUploadBytes ?? 10 * 1024 * 1024, this.options.deps.media?.maxBytes ?? Infinity);
  }

  private uploadDeps(): UploadDeps {
    return {
      media: this.options.deps.media as MediaPort,
      maxBytes: this.maxUpload,
      verify: (visitor, secret, net) => this.visitors.verify(visitor, secret, net),
      limiter: this.limiter,
      origins: this.origins,
      log: this.log,
      text: (lang, key, vars) => this.text(this.langOf(lang), key, vars),
    };
  }

  /** Files of an entry get fresh signed links as it goes to a browser (the stored entry keeps ids only). */
  private signed(entry: Entry): Entry {
    const media = this.options.deps.media;
    if (!entry.files?.length || !media) return entry;
    return {
      ...entry,
      files: entry.files.map((f) => ({
        ...f,
        link: media.link(f.mediaId, { absolute: true }) ?? media.link(f.mediaId) ?? "",
      })),
    };
  }

  private unavailable(reply: FastifyReply) {
    return reply
      .code(503)
      .send({ error: "the live chat's browser files are missing from this installation (adapters/webchat/public)" });
  }

  private serveAsset(name: string, req: FastifyRequest, reply: FastifyReply) {
    const a = this.assets[name];
    if (!a) return this.unavailable(reply);
    reply
      .header("content-type", a.type)
      .header("etag", a.etag)
      .header("cache-control", "public, max-age=300")
      // Other sites load these with <script>/<link>: allow it under their COEP too.
      .header("cross-origin-resource-policy", "cross-origin")
      .header("x-content-type-options", "nosniff");
    if (req.headers["if-none-match"] === a.etag) return reply.code(304).send();
    return reply.send(a.body);
  }

  /** CORS: true when the request may go on (with the headers set); false when answered 403. */
  private cors(req: FastifyRequest, reply: FastifyReply): boolean {
    return this.origins.answer(req, reply);
  }

  // ------------------------------------------------------------------ sockets

  private open(socket: Socket, net: string): void {
    const conn: Conn = {
      socket,
      net,
      lang: this.options.config.default_language,
      alive: true,
      bad: 0,
      queue: Promise.resolve(),
    };
    this.conns.add(conn);
    socket.on("pong", () => {
      conn.alive = true;
    });
    socket.on("close", () => this.forget(conn));
    socket.on("message", (data, isBinary) => {
      conn.queue = conn.queue
        .then(() => this.onFrame(conn, data, isBinary))
        .catch((err) => {
          this.log.error({ err }, "webchat: frame failed");
          this.reply(conn, { type: "error", code: "unavailable", message: this.text(conn.lang, "failed") });
        });
    });
  }

  private forget(conn: Conn): void {
    this.conns.delete(conn);
    if (!conn.visitor) return;
    const set = this.sockets.get(conn.visitor);
    set?.delete(conn);
    if (set?.size === 0) this.sockets.delete(conn.visitor);
  }

  private reply(conn: Conn, frame: ServerFrame): void {
    if (conn.socket.readyState === OPEN) conn.socket.send(JSON.stringify(frame));
  }

  private refuse(conn: Conn, code: ErrorCode, extra: { id?: string; detail?: string; count?: number } = {}): void {
    const max = this.options.config.limits.max_message_chars;
    const message =
      code === "too_long"
        ? this.text(conn.lang, "too_long", { max, count: extra.count ?? max + 1 })
        : code === "unavailable"
          ? this.text(conn.lang, "failed")
          : this.text(conn.lang, "malformed");
    const frame: ServerFrame = { type: "error", code, message };
    if (extra.id) frame.id = extra.id;
    if (extra.detail) frame.detail = extra.detail;
    this.reply(conn, frame);
  }

  private async onFrame(conn: Conn, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): Promise<void> {
    const p = parseFrame(data, isBinary, this.options.config.limits.max_message_chars);
    if (!p.ok) {
      if (p.code === "malformed") conn.bad++;
      const extra: { id?: string; detail?: string; count?: number } = { detail: p.reason };
      if (p.id) extra.id = p.id;
      if (p.count) extra.count = p.count;
      this.refuse(conn, p.code, extra);
      if (conn.bad > MAX_BAD) conn.socket.close(1008, "too many malformed frames");
      return;
    }
    const frame = p.frame;
    if (frame.type === "hello") return this.hello(conn, frame);
    if (!conn.visitor) {
      conn.bad++;
      return this.refuse(conn, "hello_first", { id: frame.id, detail: "send hello first" });
    }
    return this.userMessage(conn, conn.visitor, frame);
  }

  private async hello(conn: Conn, frame: Extract<ClientFrame, { type: "hello" }>): Promise<void> {
    if (conn.visitor) {
      conn.bad++;
      return this.refuse(conn, "malformed", { detail: "hello was already sent on this connection" });
    }
    conn.lang = this.langOf(frame.lang);
    // The id alone proves nothing (operators see it): without its secret, a new visitor.
    const known =
      !!frame.visitor &&
      VISITOR_ID.test(frame.visitor) &&
      (await this.visitors.verify(frame.visitor, frame.secret, conn.net));
    let visitor: string;
    let secret: string | undefined;
    if (known && frame.visitor) visitor = frame.visitor;
    else {
      if (frame.visitor) this.log.info("webchat: a visitor id without its secret: a new visitor instead");
      const room = await this.floods.newVisitor(conn.net);
      if (!room.ok) {
        const minutes = Math.max(1, Math.ceil(room.retryAfterMs / 60_000));
        // Logged once per network and window (per process): a flood must not flood the log too.
        if (!room.known)
          this.log.warn(
            { retryAfterMs: room.retryAfterMs },
            "webchat: too many new visitors from one network, refused",
          );
        this.reply(conn, {
          type: "error",
          code: "too_many_visitors",
          message: this.text(conn.lang, "too_many_visitors", { minutes }),
          retryAfterMs: room.retryAfterMs,
        });
        // 1013: try again later (the page waits `retryAfterMs` before it does).
        conn.socket.close(1013, "too many new visitors");
        return;
      }
      ({ visitor, secret } = await this.visitors.create(conn.net));
    }
    conn.visitor = visitor;
    const set = this.sockets.get(visitor) ?? new Set<Conn>();
    set.add(conn);
    this.sockets.set(visitor, set);
    const history = secret ? [] : await this.history.list(visitor);
    // The secret goes to this browser once, when it is made; it is never logged, and stored only as its hash.
    this.reply(conn, {
      type: "welcome",
      visitor,
      history: history.map((e) => this.signed(e)),
      ...(secret ? { secret } : {}),
    });
    // A visitor with nothing yet: the bot greets them (recorded once, however often they reload).
    if (history.length === 0) await this.intake?.accept([startEvent(visitor, Date.now(), conn.lang)]);
  }

  /** Flood limits: a visitor's new request gets its own topic, or joins the burst's notice. */
  async admitEscalation(visitor: string, requestId: string): Promise<EscalationAdmission> {
    const net = (await this.visitors.netOf(visitor)) ?? netOf(`visitor:${visitor}`);
    return this.floods.admitEscalation(net, requestId);
  }

  private async userMessage(
    conn: Conn,
    visitor: string,
    frame: Extract<ClientFrame, { type: "message" | "postback" }>,
  ): Promise<void> {
    const rate = this.limiter.take(visitor);
    if (!rate.ok) {
      const seconds = Math.ceil(rate.retryAfterMs / 1000);
      this.reply(conn, {
        type: "error",
        code: "rate_limited",
        id: frame.id,
        message: this.text(conn.lang, "rate_limited", { seconds }),
        retryAfterMs: rate.retryAfterMs,
      });
      return;
    }
    const now = Date.now();
    // Masked here exactly as the runtime masks it, so what the page echoes is what was recorded.
    const event = sanitize(eventOf(visitor, frame, now));
    const shown = event.text ?? (frame.type === "postback" ? frame.payload : "");
    const files: EntryFile[] = [];
    for (const mediaId of frame.type === "message" ? (frame.attachments ?? []) : []) {
      const r = await this.options.deps.media?.info(mediaId);
      // Only what this visitor uploaded: an id alone (seen elsewhere) must not attach someone else's file.
      if (!r || r.owner !== `webchat:${visitor}`)
        return this.refuse(conn, "malformed", { id: frame.id, detail: `no uploaded file ${mediaId}` });
      const type = r.kind === "sticker" ? "image" : r.kind;
      files.push({ mediaId, type, size: r.size, ...(r.name ? { name: r.name } : {}) });
    }
    // Stored before the event is recorded, so the bot's answer can never come before it.
    const { entry, fresh } = await this.history.append(visitor, {
      id: `u:${frame.id}`,
      from: "user",
      text: shown,
      at: now,
      ...(files.length ? { files } : {}),
    });
    try {
      await this.intake?.accept([event]);
    } catch (err) {
      this.log.error({ err }, "webchat: message not recorded");
      if (fresh) await this.history.remove(visitor, entry.id).catch(() => undefined);
      return this.refuse(conn, "unavailable", { id: frame.id, detail: "the message could not be recorded" });
    }
    await this.visitors.renew(visitor);
    this.reply(conn, { type: "ack", id: frame.id, entry: this.signed(entry) });
    // The visitor's other tabs (on any process) show it too.
    if (fresh) await this.fanout.publish(visitor, { type: "message", entry: this.signed(entry) });
  }

  /** This process's sockets of one visitor. */
  private toLocalSockets(visitor: string, frame: ServerFrame): void {
    for (const conn of this.sockets.get(visitor) ?? []) this.reply(conn, frame);
  }

  // ------------------------------------------------------------------ channel

  /**
   * One rendered message: stored in the visitor's history, then shown on every open socket of
   * theirs. Offline is not a failure: the history shows it at the next visit.
   */
  async send(job: SendJob): Promise<SendOutcome> {
    try {
      const { entry } = await this.history.append(job.userId, entryOf(job.message, Date.now()));
      await this.visitors.renew(job.userId);
      await this.fanout.publish(job.userId, { type: "message", entry: this.signed(entry) });
      return { ok: true };
    } catch (err) {
      return { ok: false, permanent: false, error: `webchat: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async typing(userId: string): Promise<void> {
    await this.fanout.publish(userId, { type: "typing" });
  }

  async start(intake: Intake): Promise<void> {
    this.intake ??= intake;
    await this.fanout.start().catch((err) => {
      this.log.error({ err }, "webchat: the bus is unavailable: replies reach other processes' visitors on reconnect");
    });
    const every = this.options.heartbeatMs ?? 30_000;
    this.timer = setInterval(() => {
      for (const conn of this.conns) {
        if (!conn.alive) {
          conn.socket.terminate();
          continue;
        }
        conn.alive = false;
        try {
          conn.socket.ping();
        } catch {
          conn.socket.terminate();
        }
      }
      this.limiter.sweep();
      this.floods.sweep();
      this.visitors.sweep();
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.closeSockets(1001, "server stopping");
    await this.fanout.stop();
  }

  /** Close every socket of this process; browsers reconnect by themselves (1012: service restart). */
  closeSockets(code = 1012, reason = "reconnect"): void {
    for (const conn of this.conns) conn.socket.close(code, reason);
  }

  /** Open sockets on this process (tests, metrics). */
  get connections(): number {
    return this.conns.size;
  }
}

/** The page's own policy: its script and style only, its own WebSocket, images from anywhere https. */
function pagePolicy(host: string | undefined): string {
  const ws = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self'${ws}`,
    "img-src 'self' https: data:",
    // Voice notes and videos from hotro's own signed links.
    "media-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join("; ");
}
