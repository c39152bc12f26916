import { readFileSync } from "node:fs";

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per
 * area (our code by directory, dependencies by package, Node internals, GC, idle), so a
 * run can say where the time went without opening DevTools.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, ms (idle excluded). */
  busyMs: number;
  idleMs: number;
  areas: { area: string; ms: number; pct: number }[];
  functions: { fn: string; where: string; ms: number; pct: number }[];
  /** Our functions (src/, adapters/) by inclusive time: where the time goes, stage by stage. */
  inclusive: { fn: string; where: string; ms: number; pct: number }[];
  /** Busy time by stage of a message's path (see `STAGES`). */
  stages: { stage: string; ms: number; pct: number }[];
}

type Frame = ProfileNode["callFrame"];

/**
 * A sample belongs to the first stage (in this order) that one of its frames matches;
 * samples with none of our frames on the stack (I/O callbacks, GC) go by area. Async
 * functions keep their own frame when they resume, so `process` or `handle` are seen after
 * an `await` too.
 */
const STAGES: [string, (f: Frame) => boolean][] = [
  [
    "engine (handle: matcher, answers, templates)",
    (f) =>
      (f.url.endsWith("src/engine/engine.ts") && /^(handle|handleControl)$/.test(f.functionName)) ||
      /\/src\/nlu\//.test(f.url),
  ],
  [
    "user name lookup (profile / user detail)",
    (f) => /^(addNames|profileName|attachNames|lookupName)$/.test(f.functionName) && /\/adapters\//.test(f.url),
  ],
  ["intake (dedupe + durable record)", (f) => f.functionName === "accept" && f.url.endsWith("src/runtime/runtime.ts")],
  [
    "reply (dispatch, adapter.send, platform client)",
    (f) =>
      (f.functionName === "dispatch" && f.url.endsWith("src/runtime/runtime.ts")) ||
      (/\/adapters\//.test(f.url) && /^(send|post|call|sendCs|accessToken|pooledFetch)$/.test(f.functionName)),
  ],
  [
    "turn (session get/set, render, outbox write)",
    (f) => f.functionName === "process" && f.url.endsWith("src/runtime/runtime.ts"),
  ],
  [
    "queues (inbox/outbox steps, lanes)",
    (f) => /src\/runtime\/(sqlite-queue|lanes)\.ts$|src\/store\/redis\/queue\.ts$/.test(f.url),
  ],
  ["webhook route (verify, parse, map)", (f) => /\/adapters\/(messenger|telegram|zalo)\//.test(f.url)],
];

function stageByArea(area: string): string {
  if (area === "dep:undici") return "HTTP client (undici)";
  if (/^dep:(grammy|@grammyjs)/.test(area)) return "reply (dispatch, adapter.send, platform client)";
  if (/^dep:(fastify|find-my-way|@fastify|avvio|light-my-request|fast-json-stringify|secure-json-parse)/.test(area))
    return "HTTP server (fastify)";
  if (/^dep:(pino|sonic-boom|thread-stream|fast-redact)/.test(area)) return "logging (pino)";
  // keyv resumes after an await with no turn frame left on the stack.
  if (/^dep:(better-sqlite3|keyv|@keyv)/.test(area) || area === "src/store")
    return "store (keyv over SQLite, outside a turn frame)";
  if (/^dep:(bullmq|ioredis|@ioredis|redis|@redis|msgpackr|cluster-key-slot)/.test(area))
    return "Redis clients (BullMQ, ioredis)";
  if (area === "dep:prom-client") return "metrics";
  if (area === "GC") return "GC";
  if (area.startsWith("node:") || area === "native/builtin" || area === "(program)")
    return "Node internals (sockets, streams, timers)";
  return `other (${area})`;
}

/** Which part of the program a script URL belongs to. */
export function areaOf(url: string, fn: string): string {
  if (!url) {
    if (fn === "(garbage collector)") return "GC";
    if (fn === "(idle)" || fn === "(program)") return fn;
    return "native/builtin";
  }
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return `dep:${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const m = /\/(src|adapters|bench)\/(.*)$/.exec(url);
  if (m) {
    const parts = (m[2] ?? "").split("/");
    return `${m[1]}/${parts.length > 1 ? parts[0] : (parts[0] ?? "").replace(/\.[jt]s$/, "")}`;
  }
  return "other";
}

/** The monotonic clock V8 stamps profiles with, in µs (the same in every process). */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function and per area. `window` (monotonic µs, see `monotonicUs`) keeps
 * only the samples taken inside it: the measured load, not start-up and training.
 */
export function summarise(file: string, top = 25, window?: [number, number]): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window[0] || t > window[1])) continue;
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|src|adapters|bench)\//, "$1/");
  const incl = new Map<string, { where: string; us: number }>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)?.callFrame;
      if (!cf || !/\/(src|adapters)\//.test(cf.url) || cf.url.includes("node_modules")) continue;
      const where = shortUrl(cf.url);
      const key = `${cf.functionName || "(anonymous)"}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = incl.get(key) ?? { where, us: 0 };
      e.us += us;
      incl.set(key, e);
    }
  }
  const stages = new Map<string, number>();
  for (const [id, us] of self) {
    const leaf = byId.get(id)?.callFrame;
    if (!leaf || leaf.functionName === "(idle)") continue;
    let stage: string | undefined;
    const frames: Frame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)?.callFrame;
      if (cf) frames.push(cf);
    }
    for (const [name, test] of STAGES) {
      if (frames.some(test)) {
        stage = name;
        break;
      }
    }
    stage ??= stageByArea(areaOf(leaf.url, leaf.functionName));
    stages.set(stage, (stages.get(stage) ?? 0) + us);
  }
  let idle = 0;
  let busy = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, { where: string; us: number }>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || "(anonymous)";
    if (fn === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    const area = areaOf(url, fn);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const short = shortUrl(url);
    // tsx-compiled files carry no useful line numbers: name the file only.
    const where = /\.ts$/.test(short) || !short ? short : `${short}:${lineNumber + 1}`;
    const key = `${fn}@${where}`;
    const e = fns.get(key) ?? { where, us: 0 };
    e.us += us;
    fns.set(key, e);
  }
  const pct = (us: number) => Math.round((1000 * us) / Math.max(1, busy)) / 10;
  return {
    file,
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), pct: pct(us) })),
    functions: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([key, e]) => ({
        fn: key.split("@")[0] ?? key,
        where: e.where,
        ms: Math.round(e.us / 1000),
        pct: pct(e.us),
      })),
    stages: [...stages]
      .sort((a, b) => b[1] - a[1])
      .map(([stage, us]) => ({ stage, ms: Math.round(us / 1000), pct: pct(us) })),
    inclusive: [...incl]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([key, e]) => ({
        fn: key.split("@")[0] ?? key,
        where: e.where,
        ms: Math.round(e.us / 1000),
        pct: pct(e.us),
      })),
  };
}

export function printSummary(s: ProfileSummary, title: string): void {
  console.log(`\n  profile: ${title} (${s.busyMs} ms busy, ${s.idleMs} ms idle) ${s.file}`);
  console.log("  by area:");
  for (const a of s.areas.slice(0, 18))
    console.log(`    ${a.pct.toFixed(1).padStart(5)}%  ${a.ms.toString().padStart(6)} ms  ${a.area}`);
  console.log("  top functions (self time):");
  for (const f of s.functions)
    console.log(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toString().padStart(6)} ms  ${f.fn}  ${f.where}`);
  console.log("  by stage:");
  for (const st of s.stages)
    console.log(`    ${st.pct.toFixed(1).padStart(5)}%  ${st.ms.toString().padStart(6)} ms  ${st.stage}`);
  console.log("  our code, inclusive time:");
  for (const f of s.inclusive)
    console.log(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toString().padStart(6)} ms  ${f.fn}  ${f.where}`);
}

// `tsx bench/lib/profile.ts file.cpuprofile…`: print the summary of existing profiles.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/bench\//, "bench/"))) {
  for (const f of process.argv.slice(2)) printSummary(summarise(f), f);
}
