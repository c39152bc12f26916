import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { CoreEnv } from "../config/env.js";
import { createLogger } from "../config/log.js";
import { learnedPath } from "../content/learned.js";
import { loadContentOrThrow } from "../content/load.js";
import { type Content, formatProblem } from "../content/types.js";
import { Desk } from "../desk/desk.js";
import { observedRequests } from "../desk/live.js";
import { Media } from "../media/media.js";
import type { Matcher } from "../nlu/matcher.js";
import type { Backend } from "../ports/backend.js";
import type { ChannelAdapter } from "../ports/channel.js";
import type { ChannelId } from "../ports/message.js";
import type { OperatorsPort } from "../ports/operators.js";
import { startSweeper } from "../privacy/sweeper.js";
import { LeadNotices } from "../quality/notices.js";
import { sweep } from "../quality/sweep.js";
import { Metrics } from "../runtime/metrics.js";
import { packFor, reloadPack } from "../runtime/pack.js";
import { Runtime, type RuntimeDeps } from "../runtime/runtime.js";
import { backendFor } from "../store/select.js";
import { looksLikeApi } from "./api/auth.js";
import { mediaHolder, qualityHolder } from "./data-holders.js";
import { mediaRoutes } from "./media-routes.js";
import { metricsRoutes } from "./metrics-routes.js";

export interface AppOptions {
  env: CoreEnv;
  logger?: Logger;
  content?: Content;
  backend?: Backend;
  /** Builds the store once content and log exist (the composition root passes the channels it knows). */
  makeBackend?: (content: Content, log: Logger) => Backend;
  /** Channel adapters to mount (the server builds them from the environment). */
  channels?: ChannelAdapter[];
  /** Builds the channels once the runtime exists (adapters need its stores). */
  makeChannels?: (deps: AppDeps) => Promise<ChannelAdapter[]> | ChannelAdapter[];
  makeOperators?: (deps: AppDeps) => OperatorsPort | undefined;
  now?: () => Date;
  /** Also process what a previous run left in the store (default true). */
  recover?: boolean;
  /** Extra routes (the operator API, the live chat) registered with the same dependencies. */
  plugins?: ((app: FastifyInstance, deps: AppDeps) => Promise<void> | void)[];
  onTurn?: RuntimeDeps["onTurn"];
}

export interface AppDeps {
  env: CoreEnv;
  log: Logger;
  content: Content;
  matcher: Matcher;
  backend: Backend;
  metrics: Metrics;
  runtime: Runtime;
  channels: Map<ChannelId, ChannelAdapter>;
  /** Load config/ and flows/ again without a restart (SIGHUP, a file watch, an admin). */
  reload(o?: { broadcast?: boolean }): Promise<ReloadResult>;
  /** The operators' desk: accounts, logins (the console and the API use it). */
  desk: Desk;
  /** Pictures, voice notes and files: kept once, sent on from here (src/ports/media.ts). */
  media: Media;
  /** Notices for the leads (low ratings, promised times, the weekly digest). */
  notices: LeadNotices;
}

export interface Hotro extends AppDeps {
  app: FastifyInstance;
  /** `/metrics` on a port of its own (METRICS_PORT), when configured: the caller listens on it. */
  metricsApp?: FastifyInstance;
  /** Every route registered, with its method (HEAD included where fastify adds one). */
  routes: readonly { method: string; url: string }[];
  close(): Promise<void>;
}

export type ReloadResult = { ok: true; intents: number } | { ok: false; problems: string[] };

/** Bus topic on which one process tells the others to reload their content. */
const RELOAD_TOPIC = "content:reload";

/**
 * The fastify app factory (fastify/demo's `app.ts` shape): tests build it and use
 * `inject`; `npm start` builds it and listens.
 */
export async function buildApp(opts: AppOptions): Promise<Hotro> {
  const { env } = opts;
  const log = opts.logger ?? createLogger(env.LOG_LEVEL);
  const dataDir = env.DATA_DIR === ":memory:" ? undefined : env.DATA_DIR;
  const dirs = { configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR, learnedFile: learnedPath(dataDir) };
  let pack = packFor(opts.content ?? loadContentOrThrow(dirs), dataDir);
  const { content, matcher, rules } = pack;
  const store = opts.backend ?? opts.makeBackend?.(content, log) ?? backendFor(env, log, content.config);
  // Every change to a request, whoever makes it, reaches the operators' consoles live.
  const backend: Backend = {
    ...store,
    requests: observedRequests(store.requests, store.bus, (err) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "desk: live event not published"),
    ),
  };
  const metrics = new Metrics(!opts.backend);
  if (env.REDIS_URL && !env.MEDIA_DIR)
    log.warn(
      "REDIS_URL is set but MEDIA_DIR is not: files are kept in this process's DATA_DIR/media, which other processes cannot read; set MEDIA_DIR to a directory every process mounts",
    );
  const media = new Media({
    dir: mediaDir(env),
    maxBytes: content.config.media.max_mb * 1024 * 1024,
    linkMinutes: content.config.media.link_minutes,
    publicUrl: env.PUBLIC_URL,
  });
  const channels = new Map<ChannelId, ChannelAdapter>();
  const runtimeDeps = {
    content,
    matcher,
    rules,
    sessions: backend.sessions,
    requests: backend.requests,
    inbox: backend.inbox,
    outbox: backend.outbox,
    people: backend.people,
    channels,
    log,
    metrics,
    media,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.onTurn ? { onTurn: opts.onTurn } : {}),
  };
  let operatorsPort: OperatorsPort | undefined;
  const notices = new LeadNotices({
    quality: backend.quality,
    bus: backend.bus,
    outbox: backend.outbox,
    content: () => pack.content,
    group: () => !!operatorsPort,
    channelName: (id) => channels.get(id)?.name ?? id,
    ...(opts.now ? { now: () => (opts.now as () => Date)().getTime() } : {}),
  });
  const runtime = new Runtime({ ...runtimeDeps, quality: backend.quality, notices });
  const desk = new Desk({
    backend,
    // Read at each use: a content reload reaches the desk's texts and canned replies too.
    get content() {
      return pack.content;
    },
    log,
    ...(opts.now ? { clock: () => (opts.now as () => Date)().getTime() } : {}),
    control: (conv, event, key) => runtime.control(conv, event, key),
    channels: {
      name: (id) => channels.get(id)?.name ?? id,
      window: (id) => channels.get(id)?.capabilities.replyWindow,
      displayName: async (id, userId) => channels.get(id)?.displayName?.(userId),
    },
  });
  // content and matcher are read through the current pack, so a reload reaches everyone.
  const deps: AppDeps = {
    env,
    log,
    get content() {
      return pack.content;
    },
    get matcher() {
      return pack.matcher;
    },
    backend,
    metrics,
    runtime,
    channels,
    desk,
    media,
    notices,
    reload: (o) => reload(o),
  };
  for (const c of [...(opts.channels ?? []), ...((await opts.makeChannels?.(deps)) ?? [])]) channels.set(c.id, c);
  const made = opts.makeOperators?.(deps);
  const operators = made ? auditedGroup(made, desk) : undefined;
  operatorsPort = operators;
  runtime.useOperators(operators, desk);
  desk.people.holders.push(mediaHolder(media.files), qualityHolder(backend.quality));
  const forget = operators?.forget?.bind(operators);
  if (forget) {
    // An erasure also removes what the operators' group shows about the person's requests.
    desk.people.holders.push({
      name: "operators_group",
      erase: (_p, held) => forget(held.requests.map((r) => r.record)),
    });
  }

  const app: FastifyInstance = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Behind a proxy (Caddy in docker-compose.yml), the client's address for the live chat's limits.
    ...(env.TRUST_PROXY !== undefined ? { trustProxy: trustProxy(env.TRUST_PROXY) } : {}),
    // fastify's own request lines carry the query string, where Messenger's verification
    // puts its token: they are off, and the hook below logs the path only.
    logController: new LogController({ disableRequestLogging: true }),
    // Spellings of one path reach one route (and so that route's own auth hooks):
    // `/API/requests/`, `//api//requests` and `/api/requests` are the same request.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });
  // Every route, as fastify registered it: tests check that none under /api is left unguarded.
  const routes: { method: string; url: string }[] = [];
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  app.addHook("onResponse", async (req, reply) => {
    // A webhook refused for its signature or secret: counted per channel (a wrong secret after
    // a rotation shows here before users notice).
    const hook = reply.statusCode === 401 ? /^\/webhooks\/([a-z0-9_-]+)/i.exec(req.routeOptions.url ?? "") : null;
    if (hook?.[1]) metrics.webhookRejected.inc({ channel: hook[1].toLowerCase() });
    if (req.url.startsWith("/healthz") || req.url.startsWith("/readyz") || req.url.startsWith("/metrics")) return;
    // Pages, scripts and styles served fine are noise at info: one line per page view would drown the rest.
    const asset = req.method === "GET" && reply.statusCode < 400 && !req.url.startsWith("/api/");
    req.log[asset ? "debug" : "info"](
      { method: req.method, path: req.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });
  app.setErrorHandler((err, req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, "request failed");
    const message = err instanceof Error ? err.message : String(err);
    reply
      .status(status)
      .send({ error: status === 413 ? "body too large (limit 1 MiB)" : status >= 500 ? "internal error" : message });
  });

  let ready = false;
  app.get("/healthz", async () => ({ status: "ok" }));
  // Ready = this process can take traffic: config, content and the store are up. A channel
  // that cannot reach its platform is reported here and in metrics, never by failing the
  // whole server: one expired Page token must not take Telegram, Zalo and the live chat out
  // of the load balancer.
  app.get("/readyz", async (_req, reply) => {
    const store = { ok: ready && backend.healthy() };
    const channelChecks = runtime.channelStates.snapshot();
    const degraded = Object.entries(channelChecks)
      .filter(([, c]) => !c.ok)
      .map(([id]) => id);
    const status = !store.ok ? "not ready" : degraded.length ? "degraded" : "ready";
    return reply
      .status(store.ok ? 200 : 503)
      .send({ status, degraded, checks: { content: { ok: true }, store, ...channelChecks } });
  });
  // What no route matched: an encoded separator (`/api%2Frequests`) can look like the
  // operator API to a person or a proxy, so it is refused the same way, never served.
  app.setNotFoundHandler(async (req, reply) => {
    if (looksLikeApi(req.url)) return reply.code(401).send({ error: "missing or wrong credentials" });
    return reply.code(404).send({ error: `no route ${req.method} ${req.url.split("?")[0]}` });
  });
  const metricsApp = await metricsRoutes(app, { env, log, metrics });
  // WebSockets (the live chat, the console's live feed) are one plugin for the whole server:
  // it listens to the server's upgrades, so a second registration would answer each twice.
  await app.register(websocket, {
    options: { maxPayload: content.config.webchat.limits.max_frame_bytes },
    // `ws` has already answered (1009 for an oversized frame, 1002 for a protocol error) and
    // closes the socket itself: log it, and make sure it goes.
    errorHandler: (err, socket) => {
      log.info({ err: err.message }, "websocket error");
      setTimeout(() => (socket as unknown as { terminate(): void }).terminate(), 2_000).unref();
    },
  });

  mediaRoutes(app, media);
  for (const c of channels.values()) {
    if (c.routes) await app.register(async (scope) => c.routes?.(scope, runtime));
  }
  for (const p of opts.plugins ?? []) await app.register(async (scope) => p(scope, deps));

  runtime.start({ recover: opts.recover ?? true });
  const stopSweeper = startSweeper({
    people: backend.people,
    audit: backend.audit,
    holders: () => desk.people.holders,
    privacy: () => pack.content.config.privacy,
    withLock: (n, ttl, fn) => backend.withLock(n, ttl, fn),
    log,
  });
  await startChannels([...channels.values()], runtime, log);
  ready = true;
  // Channel state changes are logged as they happen, sends or not.
  const watch = setInterval(() => runtime.channelStates.logChanges(), 5_000);
  watch.unref();
  // Promised times and the weekly digest, checked every minute (src/quality/sweep.ts).
  const qualityTimer = setInterval(() => {
    const at = opts.now?.().getTime() ?? Date.now();
    sweep({ backend, notices, content: () => pack.content, control: (c, e, k) => runtime.control(c, e, k) }, at).catch(
      (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, "quality sweep failed"),
    );
  }, 60_000);
  qualityTimer.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      clearInterval(watch);
      clearInterval(qualityTimer);
      stopSweeper();
      await unsubscribe();
      await app.close(); // stop accepting; in-flight requests finish first
      await metricsApp?.close();
      await runtime.stop(); // finish events and sends in progress, while channels can still send
      for (const c of channels.values()) await c.stop?.();
      await backend.close();
    })();
    return closing;
  };
  /**
   * Load config/ and flows/ again: the new pack replaces the old one only when it is valid
   * (a broken edit keeps what works and says why). With `broadcast`, every other process of
   * the deployment reloads too.
   */
  const origin = randomUUID();
  const reload = async (o: { broadcast?: boolean } = {}): Promise<ReloadResult> => {
    const r = reloadPack(dirs, dataDir);
    if ("problems" in r) {
      log.error({ problems: r.problems.map(formatProblem) }, "content reload refused: the old content stays");
      return { ok: false, problems: r.problems.map(formatProblem) };
    }
    pack = r.pack;
    runtime.usePack(pack);
    const intents = Object.keys(pack.content.flows.intents).length;
    log.info({ intents }, "content reloaded");
    if (o.broadcast) await backend.bus.publish(RELOAD_TOPIC, { origin }).catch(() => undefined);
    return { ok: true, intents };
  };
  const unsubscribe = await backend.bus.subscribe(RELOAD_TOPIC, (m) => {
    if ((m as { origin?: string } | undefined)?.origin !== origin) void reload();
  });

  const own: Omit<Hotro, keyof AppDeps> = { app, routes, ...(metricsApp ? { metricsApp } : {}), close };
  return Object.defineProperties(own, Object.getOwnPropertyDescriptors(deps)) as Hotro;
}

/** What an operator's action in the Telegram group is called in the audit log. */
const GROUP_ACTIONS = {
  operator_message: "reply",
  request_taken: "take",
  request_closed: "close",
  request_reopened: "reopen",
  back_to_bot: "back_to_bot",
} as const;

/**
 * The operators' group as the runtime sees it, with each operator action it routes to a
 * user's conversation written to the audit log too (the group's name for the operator,
 * prefixed `telegram:`, since group members have no console login).
 */
function auditedGroup(port: OperatorsPort, desk: Desk): OperatorsPort {
  const wrapped: OperatorsPort = {
    run: (job) => port.run(job),
    handleUpdate: async (update, key) => {
      const routed = await port.handleUpdate(update, key);
      for (const r of routed) {
        const e = r.event;
        if (e.kind === "forget") continue;
        const operator = "operator" in e ? e.operator : undefined;
        const target = "requestId" in e ? e.requestId : r.conv;
        await desk.audit.record(`telegram:${operator ?? "?"}`, GROUP_ACTIONS[e.kind], target, { surface: "telegram" });
      }
      return routed;
    },
  };
  if (port.forget) wrapped.forget = (requests) => port.forget?.(requests) ?? Promise.resolve(0);
  return wrapped;
}

/**
 * Start every channel's background work, side by side. A channel must not make start-up
 * wait on its platform; should one still be slow, the server goes on without it after a
 * few seconds (it keeps starting in the background), so no channel can keep the others,
 * `/healthz` or the live chat from serving.
 */
async function startChannels(list: ChannelAdapter[], runtime: Runtime, log: Logger, graceMs = 3_000): Promise<void> {
  const started = list.map((c) =>
    Promise.resolve()
      .then(() => c.start?.(runtime))
      .catch((err) => log.error({ channel: c.id, err }, `${c.id}: start failed`)),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    Promise.all(started).then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (late) log.warn("a channel is still starting: the server goes on without waiting for it");
}

/**
 * Where files live: MEDIA_DIR, else DATA_DIR/media; a store kept in memory (tests) gets a
 * directory of its own in the system's temporary directory.
 */
function mediaDir(env: CoreEnv): string {
  if (env.MEDIA_DIR) return env.MEDIA_DIR;
  if (env.DATA_DIR === ":memory:") return join(tmpdir(), `hotro-media-${process.pid}-${randomUUID()}`);
  return join(env.DATA_DIR, "media");
}

/** `TRUST_PROXY` for fastify: a number of hops trusts that many proxies in front, nearest first. */
function trustProxy(v: boolean | number | string[]): boolean | string[] | ((addr: string, hop: number) => boolean) {
  if (typeof v !== "number") return v;
  return (_addr, hop) => hop < v;
}
