import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: servers run from there (`./config`, `./flows`). */
export const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export const TOKEN = "123456:DURABILITY-test-token";
export const SECRET = "durability_webhook_secret";
export const OPERATOR_TOKEN = "durability-operator-token-0123456789";

/** A port nobody listens on right now (the server gets it again after each restart). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => done(port));
    });
  });
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `hotro-${label}-`));
}

/** Remove a test's directory (logs, store) once it passed; a failed run keeps it to look at. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/**
 * One real server process (`node --import tsx src/cli/server.ts`, what `npm start` runs),
 * with its output appended to a log file that survives its restarts.
 */
export class ServerProcess {
  child?: ChildProcess;
  exited?: Promise<Exit>;
  starts = 0;
  readonly url: string;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Spawn and wait until /readyz answers 200. */
  async start(timeoutMs = 40_000): Promise<void> {
    const fd = openSync(this.logFile, "a");
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      TMPDIR: process.env.TMPDIR ?? "/tmp",
      PORT: String(this.port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...this.env,
    };
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/server.ts"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.starts++;
    this.exited = new Promise<Exit>((done) =>
      child.once("exit", (code, signal) => done({ code, signal, at: Date.now() })),
    );
    const deadline = Date.now() + timeoutMs;
    let dead = false;
    void this.exited.then(() => {
      dead = true;
    });
    for (;;) {
      if (dead) throw new Error(`${this.name} exited during start-up; see ${this.logFile}\n${this.tail()}`);
      try {
        const r = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1000) });
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${timeoutMs} ms; see ${this.logFile}`);
      await sleep(50);
    }
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Send a signal and wait for the process to end. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) throw new Error(`${this.name} was not started`);
    if (this.alive) child.kill(signal);
    return exited;
  }

  /** The end of the log, for failure messages. */
  tail(chars = 4000): string {
    try {
      const text = readFileSync(this.logFile, "utf8");
      return text.slice(-chars);
    } catch {
      return "";
    }
  }

  /** How often the log says `msg` (pino's JSON lines). */
  count(msg: string): number {
    try {
      return readFileSync(this.logFile, "utf8").split(`"msg":"${msg}"`).length - 1;
    } catch {
      return 0;
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Telegram settings for a server talking to a fake Bot API at `apiRoot`. */
export function telegramEnv(apiRoot: string): Record<string, string> {
  return { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: apiRoot };
}
