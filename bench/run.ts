import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { loadContentOrThrow } from "../src/content/load.js";
import { isOpen, localTime } from "../src/engine/hours.js";
import { type Channel, channelEnv, MESSENGER, TELEGRAM, USERS, ZALO } from "./lib/bodies.js";
import { type LoadResult, load, now, type Target } from "./lib/load.js";
import {
  canPin,
  cores,
  cpuMicros,
  mainProfile,
  Platform,
  pinSelf,
  ROOT,
  type Started,
  sleep,
  startNode,
  stop,
} from "./lib/proc.js";
import { monotonicUs, type ProfileSummary, printSummary, summarise } from "./lib/profile.js";
import { type Dist, dist, match } from "./lib/stats.js";

/**
 * `npm run bench [-- options] [parts]`: the benchmarks of issue 9, as ratios against a
 * reference measured in the same run (the machine is shared and noisy).
 *
 * Parts: ceiling, messenger, telegram, zalo (the full paths), scale (1 vs 2 processes on
 * Redis), engine, matcher. Default: all of them. Channel parts bring the ceiling along.
 * Options: --quick (short smoke run), --profile (servers under --cpu-prof, summaries
 * printed and kept in the JSON), --duration=S, --connections=N, --redis-db=N,
 * --log-level=L (server LOG_LEVEL, default info as shipped), --full-train (train the
 * 500-intent pack with the shipped 30 epochs), --keep (keep temp dirs, logs, profiles),
 * --src=DIR (run the hotro servers from another checkout, e.g. a copy with a proposed
 * change, to measure it side by side with this one's ceiling), --no-ceiling, --out=FILE.
 * Only a default, complete run writes bench/results/latest.json (and a dated copy); other
 * runs write to the temp directory unless --out says where.
 */

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, def: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const quick = flag("quick");
const profile = flag("profile");
const keep = flag("keep");
const DURATION = Number(opt("duration", quick ? "3" : "10"));
const WARMUP = Number(opt("warmup", quick ? "1" : "2"));
const CONNECTIONS = Number(opt("connections", "50"));
const REDIS_DB = Number(opt("redis-db", "11"));
const LOG_LEVEL = opt("log-level", "info");
/** The checkout whose server is measured (default: this one). */
const SERVER_ROOT = opt("src", ROOT);

const ALL = ["ceiling", "messenger", "telegram", "zalo", "scale", "engine", "matcher"] as const;
type Part = (typeof ALL)[number];
const ALIASES: Record<string, Part[]> = {
  paths: ["messenger", "telegram", "zalo"],
  full: ["messenger", "telegram", "zalo"],
  redis: ["scale"],
  "scale-out": ["scale"],
};
const asked = argv.filter((a) => !a.startsWith("--"));
function partsOf(a: string): Part[] {
  if (ALIASES[a]) return ALIASES[a] as Part[];
  if ((ALL as readonly string[]).includes(a)) return [a as Part];
  console.error(`unknown part "${a}": one of ${ALL.join(", ")} (or ${Object.keys(ALIASES).join(", ")})`);
  process.exit(2);
}
const parts = new Set<Part>(asked.length === 0 ? ALL : asked.flatMap(partsOf));
const needsHttp = ["messenger", "telegram", "zalo", "scale"].some((p) => parts.has(p as Part));
if (needsHttp && !flag("no-ceiling")) parts.add("ceiling");
/** Only a default, complete run replaces bench/results/latest.json. */
const complete =
  asked.length === 0 &&
  !quick &&
  !profile &&
  SERVER_ROOT === ROOT &&
  DURATION === 10 &&
  CONNECTIONS === 50 &&
  LOG_LEVEL === "info" &&
  !flag("no-ceiling");

const CORE_SERVER = 0;
const CORE_LOAD = cores() > 1 ? 1 : 0;

interface RunResult {
  name: string;
  kind: "ceiling" | "path";
  channel: Channel;
  store?: "embedded" | "redis";
  processes: number;
  durationS: number;
  connections: number;
  /** Webhooks answered 2xx per second of load. */
  reqPerSec: number;
  requests: { sent: number; ok: number; non2xx: number; unanswered: number; errors: number; timeouts: number };
  webhookMs: Dist;
  /** Server CPU (all its threads) per 2xx webhook, µs: answer, engine, reply for the full paths. */
  cpuUsPerMsg: number;
  /** Server CPU as a share of one core during load and drain. */
  serverCpu: number;
  loadgenCpu: number;
  platformCpuUsPerReply?: number;
  redisCpuUsPerMsg?: number;
  /** Full paths only. */
  e2eMs?: Dist;
  replies?: number;
  accepted?: number;
  missing?: number;
  extra?: number;
  allDelivered?: boolean;
  /** Replies delivered per second, from the first request to the last reply. */
  deliveredPerSec?: number;
  /** From the end of the load to the last reply, ms. */
  drainMs?: number;
  /** Platform server's clock minus ours, ms (applied to arrival times). */
  clockOffsetMs?: number;
  /** Warnings and errors the servers logged during the measured load and drain. */
  problems?: { count: number; first: string[] };
  metrics?: { messagesIn: number; messagesOutOk: number; messagesOutOther: number; duplicates: number };
  platformCalls?: Record<string, number>;
  logBytesPerMsg?: number;
  /** BullMQ drain jobs and non-empty lists left when the drain ended (0 when complete). */
  redisQueuesAfterDrain?: { inboxWait: number; outboxWait: number; pendingLists: number };
  /** Redis commands per accepted message (server-wide INFO commandstats: others' commands count too). */
  redisCommandsPerMsg?: { total: number; top: Record<string, number> };
  pinned: boolean;
  profile?: ProfileSummary;
}

const results: {
  ceiling: RunResult[];
  paths: RunResult[];
  scaleOut: RunResult[];
  engine?: Record<string, unknown>;
  matcher?: Record<string, unknown>;
  notes: string[];
} = { ceiling: [], paths: [], scaleOut: [], notes: [] };

const work = mkdtempSync(join(tmpdir(), "hotro-bench-"));
const counter = { seq: 0 };
const runId = Date.now().toString(36);
let platform: Platform | undefined;

function say(s: string): void {
  process.stdout.write(`${s}\n`);
}

function commit(): string {
  // Read, not run: .git/HEAD → the ref's file or packed-refs.
  try {
    const head = readFileSync(join(ROOT, ".git/HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head;
    const ref = head.slice(5);
    const file = join(ROOT, ".git", ref);
    if (existsSync(file)) return readFileSync(file, "utf8").trim();
    const packed = readFileSync(join(ROOT, ".git/packed-refs"), "utf8");
    return (
      packed
        .split("\n")
        .find((l) => l.endsWith(` ${ref}`))
        ?.split(" ")[0] ?? "unknown"
    );
  } catch {
    return "unknown";
  }
}

function machine() {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "?";
  const content = loadContentOrThrow({ configDir: join(ROOT, "config"), flowsDir: join(ROOT, "flows") });
  const c = content.config;
  const at = new Date();
  const local = localTime(at, c.timezone);
  return {
    nproc: cores(),
    cpu: model,
    node: process.version,
    loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    pinning: canPin()
      ? `servers on core ${CORE_SERVER}, load generator and platform server on core ${CORE_LOAD}`
      : "none",
    // Answers about opening hours cost more while support is closed (see BENCHMARKS.md).
    supportOpen: isOpen(at, { weekly: c.support_hours, timeZone: c.timezone, holidays: c.holidays }),
    localTime: `${local.date} ${String(Math.floor(local.minutes / 60)).padStart(2, "0")}:${String(local.minutes % 60).padStart(2, "0")} ${c.timezone}`,
  };
}

// ------------------------------------------------------------------ metrics and CPU

// /metrics sits behind the operator credential: the bench's servers get this one.
const METRICS_TOKEN = "bench-metrics-token-0123456789";

async function scrape(url: string): Promise<RunResult["metrics"]> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const sum = (re: RegExp) =>
    text
      .split("\n")
      .filter((l) => re.test(l))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return {
    messagesIn: sum(/^hotro_messages_in_total\{/),
    messagesOutOk: sum(/^hotro_messages_out_total\{.*outcome="ok"/),
    messagesOutOther: sum(/^hotro_messages_out_total\{.*outcome="(?!ok)/),
    duplicates: sum(/^hotro_duplicates_total\{/),
  };
}

function diffMetrics(a: RunResult["metrics"][], b: RunResult["metrics"][]): RunResult["metrics"] {
  const out = { messagesIn: 0, messagesOutOk: 0, messagesOutOther: 0, duplicates: 0 };
  for (let i = 0; i < b.length; i++) {
    for (const k of Object.keys(out) as (keyof typeof out)[]) out[k] += (b[i]?.[k] ?? 0) - (a[i]?.[k] ?? 0);
  }
  return out;
}

const cpuOf = (pids: number[]) => pids.reduce((n, p) => n + (cpuMicros(p) ?? 0), 0);

async function commandStats(): Promise<Map<string, number>> {
  const r = new Redis(`redis://127.0.0.1:6379/${REDIS_DB}`, { maxRetriesPerRequest: 1 });
  try {
    const text = await r.info("commandstats");
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1] ?? "?", Number(m[2]));
    return out;
  } finally {
    r.disconnect();
  }
}

function redisPid(): number | undefined {
  try {
    const info = execFileSync("redis-cli", ["-h", "127.0.0.1", "info", "server"], { encoding: "utf8" });
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    return cpuMicros(pid) === undefined ? undefined : pid;
  } catch {
    return undefined;
  }
}

/** BullMQ drain jobs still queued (Redis runs): work in progress even while no reply arrives. */
async function queuedJobs(url: string): Promise<{ inboxWait: number; outboxWait: number; pendingLists: number }> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const [iw, ow, ip, op] = await Promise.all([
      r.llen("hotro:bull:inbox:wait"),
      r.llen("hotro:bull:outbox:wait"),
      r.scard("hotro:inbox:pending"),
      r.scard("hotro:outbox:pending"),
    ]);
    return { inboxWait: iw, outboxWait: ow, pendingLists: ip + op };
  } finally {
    r.disconnect();
  }
}

/**
 * Wait until the platform has every reply (count ≥ `want` and steady), or progress stops:
 * no new reply and (Redis) no change in the queued drain jobs for `stallMs`.
 */
async function drain(
  want: number,
  progress?: () => Promise<number>,
  stallMs = 20_000,
  capMs = 180_000,
): Promise<number> {
  const p = platform as Platform;
  const start = Date.now();
  let last = -1;
  let lastWork = -1;
  let lastChange = Date.now();
  let steadySince = 0;
  for (;;) {
    const { replies } = await p.stats();
    const work = replies < want && progress ? await progress() : -1;
    if (work !== lastWork) {
      lastWork = work;
      lastChange = Date.now();
    }
    if (replies !== last) {
      last = replies;
      lastChange = Date.now();
      steadySince = 0;
    } else if (replies >= want) {
      steadySince ||= Date.now();
      if (Date.now() - steadySince >= 300) return replies;
    }
    if (Date.now() - lastChange > stallMs || Date.now() - start > capMs) return replies;
    await sleep(50);
  }
}

// ------------------------------------------------------------------ runs

async function summariseProfiles(
  servers: Started[],
  name: string,
  window: [number, number],
): Promise<ProfileSummary | undefined> {
  const file = mainProfile(servers[0]?.profDir);
  if (!file) return undefined;
  const s = summarise(file, 20, window);
  printSummary(s, name);
  return s;
}

async function ceilingRun(label: string): Promise<RunResult> {
  const dir = join(work, `ceiling-${results.ceiling.length + 1}`);
  mkdirSync(dir, { recursive: true });
  const server = await startNode(join(ROOT, "bench/ceiling-server.ts"), {
    core: CORE_SERVER,
    env: { MESSENGER_APP_SECRET: MESSENGER.secret },
    log: join(dir, "server.log"),
    ...(profile ? { profDir: join(dir, "prof") } : {}),
  });
  try {
    const target: Target = { url: server.url, path: MESSENGER.path, connections: CONNECTIONS };
    await load("messenger", [target], WARMUP, runId, counter);
    const c0 = cpuOf([server.pid]);
    const w0 = monotonicUs();
    const r = await load("messenger", [target], DURATION, runId, counter);
    const w1 = monotonicUs();
    const c1 = cpuOf([server.pid]);
    const res = common(`ceiling (${label})`, "ceiling", "messenger", 1, r, c1 - c0, r.end - r.start, server.pinned);
    await stop(server);
    const prof = await summariseProfiles([server], res.name, [w0, w1]);
    if (prof) res.profile = prof;
    return res;
  } finally {
    await stop(server);
  }
}

function common(
  name: string,
  kind: RunResult["kind"],
  channel: Channel,
  processes: number,
  r: LoadResult,
  cpuUs: number,
  windowMs: number,
  pinned: boolean,
): RunResult {
  const elapsedS = (r.end - r.start) / 1000;
  const unanswered = r.status.filter((s) => s === 0).length;
  return {
    name,
    kind,
    channel,
    processes,
    durationS: Math.round(elapsedS * 100) / 100,
    connections: CONNECTIONS,
    reqPerSec: Math.round(r.ok / elapsedS),
    requests: {
      sent: r.status.length,
      ok: r.ok,
      non2xx: r.non2xx,
      unanswered,
      errors: r.errors,
      timeouts: r.timeouts,
    },
    webhookMs: dist(r.latencyMs.filter((_, i) => (r.status[i] ?? 0) >= 200 && (r.status[i] ?? 0) < 300)),
    cpuUsPerMsg: Math.round((cpuUs / Math.max(1, r.ok)) * 10) / 10,
    serverCpu: Math.round((cpuUs / 1000 / windowMs / processes) * 100) / 100,
    loadgenCpu: Math.round(r.loadgenCpu * 100) / 100,
    pinned,
  };
}

async function flushRedisDb(url: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await r.connect();
    const [, keys] = await r.scan("0", "COUNT", 1000);
    const foreign = keys.filter((k) => !k.startsWith("hotro:"));
    if (foreign.length > 0)
      throw new Error(
        `Redis db ${REDIS_DB} holds keys that are not the benchmark's (${foreign[0]}…): pick another with --redis-db`,
      );
    await r.flushdb();
  } finally {
    r.disconnect();
  }
}

async function pathRun(
  channel: Channel,
  store: "embedded" | "redis",
  processes: number,
  name: string,
): Promise<RunResult> {
  const p = platform as Platform;
  const dir = join(work, name.replace(/[^a-z0-9]+/gi, "-"));
  mkdirSync(dir, { recursive: true });
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;
  if (store === "redis") await flushRedisDb(redisUrl);
  const servers: Started[] = [];
  let incomplete = false;
  try {
    for (let i = 0; i < processes; i++) {
      const env: Record<string, string> = {
        LOG_LEVEL,
        OPERATOR_API_TOKEN: METRICS_TOKEN,
        DATA_DIR: join(dir, `data-${i}`),
        CONFIG_DIR: join(SERVER_ROOT, "config"),
        FLOWS_DIR: join(SERVER_ROOT, "flows"),
        ...channelEnv(channel, p.url),
      };
      if (store === "redis") Object.assign(env, { REDIS_URL: redisUrl, REDIS_PREFIX: "hotro:" });
      servers.push(
        await startNode(join(SERVER_ROOT, "src/cli/server.ts"), {
          cwd: SERVER_ROOT,
          core: i === 0 ? CORE_SERVER : CORE_LOAD,
          env,
          log: join(dir, `server-${i}.log`),
          ...(profile ? { profDir: join(dir, `prof-${i}`) } : {}),
        }),
      );
    }
    const path = channel === "messenger" ? MESSENGER.path : channel === "telegram" ? TELEGRAM.path : ZALO.path;
    const targets = (conns: number): Target[] =>
      servers.map((s, i) => ({
        url: s.url,
        path,
        connections: Math.floor(conns / processes) + (i < conns % processes ? 1 : 0),
      }));

    // Warm-up (JIT, SQLite pages, connection pools, token fetch), drained, then forgotten.
    const w = await load(channel, targets(CONNECTIONS), WARMUP, runId, counter);
    const warmRecorded = diffMetrics([], await Promise.all(servers.map((s) => scrape(s.url))))?.messagesIn ?? w.ok;
    const progress =
      store === "redis"
        ? async () => {
            const q = await queuedJobs(redisUrl);
            return q.inboxWait + q.outboxWait;
          }
        : undefined;
    await drain(Math.max(warmRecorded, w.ok), progress);
    await p.dump();

    const pids = servers.map((s) => s.pid);
    const rpid = store === "redis" ? redisPid() : undefined;
    const offset = await p.clockOffset();
    const m0 = await Promise.all(servers.map((s) => scrape(s.url)));
    const cmd0 = store === "redis" ? await commandStats() : undefined;
    const logs0Each = servers.map((s) => statSync(s.log).size);
    const logs0 = logs0Each.reduce((a, b) => a + b, 0);
    const c0 = cpuOf(pids);
    const pc0 = cpuMicros(p.pid) ?? 0;
    const rc0 = rpid ? (cpuMicros(rpid) ?? 0) : 0;
    const t0 = now();
    const w0 = monotonicUs();
    const r = await load(channel, targets(CONNECTIONS), DURATION, runId, counter);
    // Every message the servers recorded, answered or cut off by the end of the load, must get its reply.
    const recorded = diffMetrics(m0, await Promise.all(servers.map((s) => scrape(s.url))))?.messagesIn ?? r.ok;
    await drain(Math.max(recorded, r.ok), progress);
    const t1 = now();
    const queuesAfter = store === "redis" ? await queuedJobs(redisUrl) : undefined;
    const w1 = monotonicUs();
    const c1 = cpuOf(pids);
    const pc1 = cpuMicros(p.pid) ?? 0;
    const rc1 = rpid ? (cpuMicros(rpid) ?? 0) : 0;
    const logs1 = servers.reduce((n, s) => n + statSync(s.log).size, 0);
    const cmd1 = store === "redis" ? await commandStats() : undefined;
    const m1 = await Promise.all(servers.map((s) => scrape(s.url)));
    const d = await p.dump();

    const res = common(
      name,
      "path",
      channel,
      processes,
      r,
      c1 - c0,
      t1 - t0,
      servers.every((s) => s.pinned),
    );
    res.store = store;
    const { recipientId } = await import("./lib/bodies.js");
    const sent = r.user.map((u, i) => ({
      recipient: recipientId(channel, u),
      at: r.sentAt[i] ?? 0,
      ok: (r.status[i] ?? 0) >= 200 && (r.status[i] ?? 0) < 300,
      answered: (r.status[i] ?? 0) !== 0,
    }));
    const mt = match(sent, d.arrivals, offset);
    const metrics = diffMetrics(m0, m1);
    res.e2eMs = dist(mt.e2eMs);
    res.replies = d.replies;
    res.accepted = metrics?.messagesIn ?? r.ok;
    res.missing = mt.missing;
    res.extra = mt.extra;
    res.allDelivered = mt.missing === 0 && d.replies === res.accepted && (metrics?.messagesOutOk ?? 0) === res.accepted;
    res.deliveredPerSec = Math.round((d.replies * 1000) / Math.max(1, mt.lastArrival - r.start));
    res.drainMs = Math.round(Math.max(0, mt.lastArrival - r.end));
    res.metrics = metrics;
    res.clockOffsetMs = Math.round(offset * 1000) / 1000;
    res.platformCalls = d.calls;
    res.platformCpuUsPerReply = Math.round(((pc1 - pc0) / Math.max(1, d.replies)) * 10) / 10;
    if (rpid) res.redisCpuUsPerMsg = Math.round(((rc1 - rc0) / Math.max(1, r.ok)) * 10) / 10;
    if (queuesAfter) res.redisQueuesAfterDrain = queuesAfter;
    res.logBytesPerMsg = Math.round((logs1 - logs0) / Math.max(1, r.ok));
    res.problems = problemsIn(servers.map((s, i) => [s.log, i === 0 ? logs0Each[0] : logs0Each[i]] as const));
    if (cmd0 && cmd1) {
      const per = [...cmd1]
        .map(([k, v]) => [k, (v - (cmd0.get(k) ?? 0)) / Math.max(1, res.accepted ?? r.ok)] as const)
        .filter(([, v]) => v > 0.01)
        .sort((a, b) => b[1] - a[1]);
      res.redisCommandsPerMsg = {
        total: Math.round(per.reduce((n, [, v]) => n + v, 0) * 10) / 10,
        top: Object.fromEntries(per.slice(0, 12).map(([k, v]) => [k, Math.round(v * 100) / 100])),
      };
    }
    // Server CPU is counted to the end of the drain: per message it covers answer, engine and reply.
    res.cpuUsPerMsg = Math.round(((c1 - c0) / Math.max(1, res.accepted)) * 10) / 10;
    incomplete = !res.allDelivered;
    for (const s of servers) await stop(s);
    const prof = await summariseProfiles(servers, name, [w0, w1]);
    if (prof) res.profile = prof;
    return res;
  } finally {
    for (const s of servers) await stop(s);
    // --keep, or replies missing: the Redis db stays as the run left it, for inspection.
    if (store === "redis" && (keep || incomplete)) {
      results.notes.push(`${name}: Redis db ${REDIS_DB} left as the run ended, for inspection`);
    } else if (store === "redis") await flushRedisDb(redisUrl).catch(() => undefined);
  }
}

/** pino lines at warn or above written after `from` (bytes) in each log. */
function problemsIn(logs: (readonly [string, number | undefined])[]): { count: number; first: string[] } {
  const out = { count: 0, first: [] as string[] };
  for (const [file, from] of logs) {
    const text = readFileSync(file, "utf8").slice(from ?? 0);
    for (const line of text.split("\n")) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level < 40 && !/^\s*(Error|TypeError|RangeError)/.test(line)) continue;
      out.count++;
      if (out.first.length < 5) out.first.push(line.slice(0, 400));
    }
  }
  return out;
}

/** Run a part in its own process pinned to the server core; it prints one JSON line. */
function child(script: string, extra: string[] = []): Record<string, unknown> {
  const node = [process.execPath, "--expose-gc", "--import", "tsx", join(ROOT, script), ...extra];
  const cmd = canPin() ? "taskset" : (node.shift() as string);
  const args = canPin() ? ["-c", String(CORE_SERVER), ...node] : node;
  const out = execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const line = out.trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as Record<string, unknown>;
}

// ------------------------------------------------------------------ output

const f1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(1));
const pct = (x: number) => (Number.isNaN(x) ? "-" : `${Math.round(x * 100)}%`);

function ceilingRef(): { reqPerSec: number; cpuUsPerMsg: number } | undefined {
  if (results.ceiling.length === 0) return undefined;
  const n = results.ceiling.length;
  return {
    reqPerSec: Math.round(results.ceiling.reduce((a, c) => a + c.reqPerSec, 0) / n),
    cpuUsPerMsg: Math.round((results.ceiling.reduce((a, c) => a + c.cpuUsPerMsg, 0) / n) * 10) / 10,
  };
}

function ratios() {
  const ref = ceilingRef();
  const of = (x: number, by: number | undefined) => (by ? Math.round((x / by) * 1000) / 1000 : Number.NaN);
  return [...results.ceiling, ...results.paths, ...results.scaleOut].map((r) => ({
    name: r.name,
    reqPerSec: r.reqPerSec,
    ofCeiling: of(r.reqPerSec, ref?.reqPerSec),
    webhookP50Ms: r.webhookMs.p50,
    webhookP99Ms: r.webhookMs.p99,
    e2eP50Ms: r.e2eMs?.p50,
    e2eP99Ms: r.e2eMs?.p99,
    deliveredPerSec: r.deliveredPerSec,
    deliveredOfCeiling: r.deliveredPerSec === undefined ? undefined : of(r.deliveredPerSec, ref?.reqPerSec),
    delivered: r.kind === "path" ? `${r.replies}/${r.accepted}` : undefined,
    allDelivered: r.allDelivered,
    cpuUsPerMsg: r.cpuUsPerMsg,
    cpuTimesCeiling: ref ? Math.round((r.cpuUsPerMsg / ref.cpuUsPerMsg) * 10) / 10 : Number.NaN,
  }));
}

function printTable(): void {
  const rows = ratios();
  if (rows.length === 0) return;
  const head = [
    "run",
    "req/s",
    "of ceiling",
    "webhook p50/p99 ms",
    "→reply p50/p99 ms",
    "delivered/s",
    "replies/accepted",
    "CPU µs/msg",
    "× ceiling CPU",
  ];
  const body = rows.map((r) => [
    r.name,
    String(r.reqPerSec),
    pct(r.ofCeiling),
    `${f1(r.webhookP50Ms)} / ${f1(r.webhookP99Ms)}`,
    r.e2eP50Ms === undefined ? "-" : `${f1(r.e2eP50Ms)} / ${f1(r.e2eP99Ms)}`,
    r.deliveredPerSec === undefined ? "-" : `${r.deliveredPerSec} (${pct(r.deliveredOfCeiling ?? 0)})`,
    r.delivered === undefined ? "-" : `${r.delivered}${r.allDelivered ? " ✓" : " ✗"}`,
    f1(r.cpuUsPerMsg),
    Number.isNaN(r.cpuTimesCeiling) ? "-" : `${r.cpuTimesCeiling}×`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  say("");
  say(line(head));
  say(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const b of body) say(line(b));
}

/** Engine and matcher figures as multiples of the reference op timed in the same process. */
function micro(): { what: string; us: number; timesReference: number }[] {
  const rows: { what: string; us: number; timesReference: number }[] = [];
  const add = (what: string, us: number | undefined, ref: number | undefined) => {
    if (us === undefined || ref === undefined) return;
    rows.push({ what, us: Math.round(us * 10) / 10, timesReference: Math.round((us / ref) * 10) / 10 });
  };
  const e = results.engine as Record<string, { cpuUsPerEvent?: number; usPerOp?: number }> | undefined;
  if (e) {
    const ref = e.reference?.usPerOp;
    add("reference op: HMAC-SHA256 + timingSafeEqual + JSON.parse of a webhook body", ref, ref);
    add("engine handle(), sessions in memory, now", e.memory?.cpuUsPerEvent, ref);
    add("engine handle(), support open (Tue 10:00)", e.memoryOpen?.cpuUsPerEvent, ref);
    add("engine handle(), support closed (Tue 03:00)", e.memoryClosed?.cpuUsPerEvent, ref);
    add("Runtime.process on SQLite (session, engine, outbox)", e.sqliteProcess?.cpuUsPerEvent, ref);
    add("runtime in-process: accept → process → outbox → send", e.runtime?.cpuUsPerEvent, ref);
  }
  const m = results.matcher as Record<string, { usPerMessage?: number; usPerOp?: number }> | undefined;
  if (m) {
    const ref = m.reference?.usPerOp;
    if (!e) add("reference op: HMAC-SHA256 + timingSafeEqual + JSON.parse of a webhook body", ref, ref);
    add("matcher.match, shipped pack (25 intents)", m.shipped?.usPerMessage, ref);
    add("matcher.match, generated pack (500 intents)", m.synthetic?.usPerMessage, ref);
    const shipped = m.shipped as { adversarial4096Us?: number; ordinary4096Us?: number } | undefined;
    add("matcher.match, 4,096 adversarial characters (a., 1, ㎉, a@, a1_)", shipped?.adversarial4096Us, ref);
    add("matcher.match, 4,096 characters of ordinary Vietnamese", shipped?.ordinary4096Us, ref);
  }
  return rows;
}

function printMicro(): void {
  const rows = micro();
  if (rows.length === 0) return;
  say("\nin-process (CPU µs per event or message, and as a multiple of the reference op timed alongside):");
  for (const r of rows) say(`  ${r.us.toFixed(1).padStart(8)} µs  ${`${r.timesReference}×`.padStart(7)}  ${r.what}`);
  const m = results.matcher as Record<string, Record<string, number>> | undefined;
  if (m?.shipped && m.synthetic) {
    say(
      `  matcher memory after training: shipped ${m.shipped.heapMB} MB heap + ${m.shipped.arrayBuffersMB} MB typed arrays; 500 intents ${m.synthetic.heapMB} MB + ${m.synthetic.arrayBuffersMB} MB`,
    );
    say(
      `  matcher training: shipped ${m.shipped.trainMs} ms; 500 intents ${m.synthetic.trainMs} ms at ${m.synthetic.epochs} epoch(s), ${m.synthetic.epochs === 1 ? "≤" : "≈"} ${m.synthetic.trainMsAt30Epochs} ms at the shipped 30`,
    );
  }
}

function targets() {
  const ref = ceilingRef();
  const m = results.paths.find((p) => p.channel === "messenger");
  const out: { target: string; value: string; met: boolean | undefined }[] = [];
  if (ref && m) {
    out.push({
      target: "Messenger path ≥ 50% of the ceiling's req/s",
      value: pct(m.reqPerSec / ref.reqPerSec),
      met: m.reqPerSec / ref.reqPerSec >= 0.5,
    });
  }
  if (m) {
    out.push({
      target: "Messenger p99 webhook answer < 20 ms",
      value: `${f1(m.webhookMs.p99)} ms`,
      met: m.webhookMs.p99 < 20,
    });
  }
  const all = [...results.paths, ...results.scaleOut];
  if (all.length) {
    out.push({
      target: "every reply delivered",
      value: all.map((p) => `${p.name}: ${p.replies}/${p.accepted}`).join(", "),
      met: all.every((p) => p.allDelivered),
    });
    for (const p of results.paths) {
      out.push({
        target: `CPU per message ≤ 150 µs (${p.name})`,
        value: `${f1(p.cpuUsPerMsg)} µs`,
        met: p.cpuUsPerMsg <= 150,
      });
    }
  }
  const syn = (results.matcher?.synthetic as { usPerMessage?: number } | undefined)?.usPerMessage;
  if (syn !== undefined) {
    out.push({ target: "matcher < 100 µs per message with 500 intents", value: `${f1(syn)} µs`, met: syn < 100 });
  }
  return out;
}

function formatJson(file: string): void {
  // The repository lints bench/ (biome): write what its formatter would.
  try {
    execFileSync(join(ROOT, "node_modules/.bin/biome"), ["format", "--write", file], { cwd: ROOT, stdio: "ignore" });
  } catch {
    // unformatted is still valid JSON
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const startedAt = new Date();
  const m = machine();
  const pinned = canPin() && pinSelf(CORE_LOAD);
  say(`hotro bench ${quick ? "(quick) " : ""}parts: ${[...parts].join(", ")}`);
  say(
    `machine: ${m.nproc} × ${m.cpu}, Node ${m.node}, load ${m.loadavgStart.join(" ")}; pinning: ${pinned ? m.pinning : "none"}`,
  );
  say(`support hours: ${m.supportOpen ? "open" : "closed"} at ${m.localTime}`);
  if (SERVER_ROOT !== ROOT) say(`servers from ${SERVER_ROOT}`);
  say(
    `load: ${CONNECTIONS} connections, ${DURATION} s (+${WARMUP} s warm-up), ${USERS} users, server LOG_LEVEL=${LOG_LEVEL}`,
  );
  if (!pinned) results.notes.push("taskset unavailable: processes were not pinned");

  if (parts.has("engine")) {
    say("\n[engine] handle() in memory, Runtime.process on SQLite, whole runtime in-process…");
    results.engine = child("bench/engine.ts", quick ? ["--quick"] : []);
    say(JSON.stringify(results.engine));
  }
  if (parts.has("matcher")) {
    say("\n[matcher] shipped pack and a generated 500-intent pack…");
    const extra = [...(quick ? ["--quick"] : []), ...(flag("full-train") ? ["--full-train"] : [])];
    results.matcher = child("bench/matcher.ts", extra);
    say(JSON.stringify(results.matcher));
  }

  if (needsHttp) {
    platform = await Platform.start(CORE_LOAD);
    say(`\nplatform server ${platform.url} (pid ${platform.pid})`);
  }
  try {
    if (parts.has("ceiling")) {
      say("\n[ceiling] bare fastify + HMAC…");
      results.ceiling.push(await ceilingRun("before"));
      printTable();
    }
    for (const ch of ["messenger", "telegram", "zalo"] as const) {
      if (!parts.has(ch)) continue;
      say(`\n[${ch}] full path on the embedded store…`);
      results.paths.push(await pathRun(ch, "embedded", 1, `${ch} (SQLite)`));
      printTable();
    }
    if (parts.has("scale")) {
      try {
        say(`\n[scale] Messenger on Redis db ${REDIS_DB}: 1 process…`);
        results.scaleOut.push(await pathRun("messenger", "redis", 1, "messenger (Redis, 1 proc)"));
        say("[scale] 2 processes, load split across them…");
        results.scaleOut.push(await pathRun("messenger", "redis", 2, "messenger (Redis, 2 procs)"));
      } catch (err) {
        const why = `scale-out skipped: ${err instanceof Error ? err.message : String(err)}`;
        results.notes.push(why);
        say(why);
      }
      printTable();
    }
    if (parts.has("ceiling") && !quick && (results.paths.length > 0 || results.scaleOut.length > 0)) {
      say("\n[ceiling] again, after the full paths (drift check)…");
      results.ceiling.push(await ceilingRun("after"));
    }
  } finally {
    await platform?.stop();
  }

  say("\n=== results (ratios against the ceiling measured in this run) ===");
  printTable();
  printMicro();
  const t = targets();
  if (t.length) {
    say("\ntargets:");
    for (const x of t) say(`  ${x.met ? "✓" : "✗"} ${x.target}: ${x.value}`);
  }

  const out = {
    date: startedAt.toISOString(),
    commit: commit(),
    machine: { ...m, loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100), pinned },
    options: {
      quick,
      parts: [...parts],
      serverRoot: SERVER_ROOT,
      durationS: DURATION,
      warmupS: WARMUP,
      connections: CONNECTIONS,
      users: USERS,
      logLevel: LOG_LEVEL,
    },
    ceilingReference: ceilingRef(),
    ratios: ratios(),
    micro: micro(),
    targets: t,
    ...results,
    elapsedS: Math.round((Date.now() - startedAt.getTime()) / 1000),
  };
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const explicit = opt("out", "");
  if (explicit) files.push(explicit);
  else if (complete) {
    files.push(join(dir, "latest.json"), join(dir, `${startedAt.toISOString().slice(0, 16).replace(/:/g, "-")}.json`));
  } else {
    // Quick and partial runs never replace the recorded run.
    files.push(join(tmpdir(), `hotro-bench-${startedAt.toISOString().slice(0, 19).replace(/:/g, "-")}.json`));
  }
  for (const f of files) {
    writeFileSync(f, `${JSON.stringify(out, null, 2)}\n`);
    formatJson(f);
  }
  say(`\nwrote ${files.join(", ")} (${out.elapsedS} s)`);
  if (keep || profile) say(`logs${profile ? " and profiles" : ""} kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

main().catch(async (err) => {
  console.error(err);
  await platform?.stop().catch(() => undefined);
  process.exit(1);
});
