import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** Processes the benchmark starts: pinned to a core when `taskset` works, CPU read from /proc. */

export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

let tasksetOk: boolean | undefined;
/** Whether `taskset` can pin here (it can fail in restricted containers). */
export function canPin(): boolean {
  if (tasksetOk === undefined) {
    try {
      execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
      tasksetOk = true;
    } catch {
      tasksetOk = false;
    }
  }
  return tasksetOk;
}

export function cores(): number {
  return (readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm) ?? []).length || 1;
}

/** Pin this process (all its threads) to `core`; false when that is not possible. */
export function pinSelf(core: number): boolean {
  if (!canPin()) return false;
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(core), String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system) of a process and all its threads so far, in µs; undefined once gone. */
export function cpuMicros(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // After the command: state(3) … utime(14) stime(15), counted from field 3 at index 0.
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  pid: number;
  url: string;
  log: string;
  /** Where `--cpu-prof` writes, when profiling. */
  profDir?: string;
  pinned: boolean;
}

/**
 * Start a TypeScript entry point as `node --import tsx` (one process: its PID is the one
 * whose CPU we read), pinned to `core` when possible, output to `log`.
 */
export async function startNode(
  script: string,
  opts: {
    core?: number;
    env: Record<string, string>;
    log: string;
    profDir?: string;
    readyPath?: string;
    cwd?: string;
  },
): Promise<Started> {
  const port = await freePort();
  const nodeArgs = ["--import", "tsx"];
  if (opts.profDir) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${opts.profDir}`);
  const pin = opts.core !== undefined && canPin();
  const cmd = pin ? "taskset" : process.execPath;
  const args = pin ? ["-c", String(opts.core), process.execPath, ...nodeArgs, script] : [...nodeArgs, script];
  const fd = openSync(opts.log, "a");
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const started: Started = { child, pid: child.pid ?? 0, url, log: opts.log, pinned: pin };
  if (opts.profDir) started.profDir = opts.profDir;
  await waitReady(started, opts.readyPath ?? "/readyz");
  return started;
}

async function waitReady(s: Started, path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  s.child.once("exit", (code) => {
    exited = code ?? -1;
  });
  for (;;) {
    if (exited !== null) throw new Error(`process exited (${exited}) before it was ready; see ${s.log}`);
    try {
      const r = await fetch(`${s.url}${path}`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms; see ${s.log}`);
    await sleep(100);
  }
}

/** SIGTERM, wait for a graceful exit (profiles are written then), SIGKILL after `ms`. */
export async function stop(s: Started | undefined, ms = 15_000): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise<void>((r) => s.child.once("exit", () => r()));
  s.child.kill("SIGTERM");
  const t = setTimeout(() => s.child.kill("SIGKILL"), ms);
  await gone;
  clearTimeout(t);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `.cpuprofile` of a process's main thread (the largest one written to `dir`). */
export function mainProfile(dir: string | undefined): string | undefined {
  if (!dir || !existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** The platform stand-in, a forked child answering over IPC. */
export class Platform {
  private pending = new Map<number, (m: Record<string, unknown>) => void>();
  private nextId = 1;
  url = "";
  pid = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (m: Record<string, unknown>) => {
      const id = m.id as number | undefined;
      if (id !== undefined) {
        this.pending.get(id)?.(m);
        this.pending.delete(id);
      }
    });
  }

  static async start(core: number | undefined): Promise<Platform> {
    const script = join(ROOT, "bench/platform-server.ts");
    const pin = core !== undefined && canPin();
    const child = fork(script, [], {
      cwd: ROOT,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const p = new Platform(child);
    const ready = await new Promise<{ port: number }>((resolve, reject) => {
      child.once("message", (m: { ready?: boolean; port: number }) => (m.ready ? resolve(m) : reject(new Error("?"))));
      child.once("exit", (c) => reject(new Error(`platform server exited (${c})`)));
    });
    p.url = `http://127.0.0.1:${ready.port}`;
    p.pid = child.pid ?? 0;
    if (pin) {
      try {
        execFileSync("taskset", ["-a", "-p", "-c", String(core), String(p.pid)], { stdio: "ignore" });
      } catch {
        // unpinned, then
      }
    }
    return p;
  }

  private ask<T>(cmd: string): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (m) => resolve(m as T));
      this.child.send({ cmd, id });
    });
  }

  stats(): Promise<{ replies: number; calls: Record<string, number> }> {
    return this.ask("stats");
  }

  /** Everything recorded since the last dump (recipient → arrival times), then forgotten. */
  dump(): Promise<{ replies: number; calls: Record<string, number>; arrivals: [string, number[]][] }> {
    return this.ask("dump");
  }

  /**
   * The platform's clock minus ours (ms), from the IPC round trip with the least delay:
   * arrival times it records are compared with send times taken here.
   */
  async clockOffset(rounds = 20): Promise<number> {
    let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.timeOrigin + performance.now();
      const { t } = await this.ask<{ t: number }>("clock");
      const t1 = performance.timeOrigin + performance.now();
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: t - (t0 + t1) / 2 };
    }
    return best.offset;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || !this.child.connected) return;
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.send({ cmd: "stop" });
    await Promise.race([gone, sleep(3000)]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
