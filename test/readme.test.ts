import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The README's commands, run as a newcomer would: every command of its ```sh blocks (and of
 * docs/*.md) runs in a copy of the repository, with its own data directory and no platform
 * credentials, and must exit 0. The few that cannot run here are listed below with the
 * reason; an `npm run` one must still name a script that exists. `npm start` is started, used
 * by the `curl localhost:3000` commands after it (on a free port), and stopped with SIGTERM.
 * A ```yaml block whose first line is `# flows/<file>.yaml…` or `# config/<file>.yaml…` is
 * written to that file, as the README asks the reader to do.
 */

interface Block {
  lang: string;
  body: string;
  /** Lines of the opening and closing fences. */
  line: number;
  end: number;
}

interface Command {
  /** As written (continuations joined), given to bash. */
  text: string;
  /** Without its trailing comment, for matching. */
  bare: string;
  line: number;
  block: number;
}

/** Commands that are not run here, and why (first match wins). */
const NOT_RUN: [RegExp, string][] = [
  [/^npm (install|ci)\b/, "installs dependencies: done once, before any test runs"],
  [/^npm test\b/, "the test suite this test belongs to"],
  [/^\.ci\/run\b/, "CI itself (npm ci, check, typecheck, lint, test)"],
  [/^npm run (typecheck|lint|format)\b/, "one of CI's own steps (.ci/run)"],
  [/^npm run bench\b/, "the benchmarks: long, never part of npm test"],
  [/^docker\b/, "needs Docker"],
  [/^git\b/, "changes the checkout"],
  [/^curl\b(?!.*\blocalhost:3000\b)/, "calls a public host"],
];
/** A command that needs a platform account: its whole block is a platform's session, not run. */
const PLATFORM =
  /\bnpm run (telegram:webhook|messenger:setup|zalo:authorize)\b|\b(TELEGRAM|MESSENGER|ZALO)_[A-Z_]+=|OPERATORS_TELEGRAM_CHAT_ID=/;
const SERVER = /^((?:[A-Z_]+=\S+\s+)*)npm start$/;
const EXPORT = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/;

/** What some commands must print, beyond exiting 0. */
const EXPECT: [RegExp, (out: string) => void][] = [
  [/^npm run check$/, (out) => expect(out).toMatch(/^ok: \d+ intents/m)],
  [
    /^npm run classify\b|\| npm run classify$/,
    (out) => {
      const lines = out.split("\n").filter((l) => l.startsWith("{"));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(JSON.parse(l)).toHaveProperty("intent");
    },
  ],
  [/^npm run eval -- test\/eval\/heldout\.jsonl/, (out) => expect(out).toMatch(/^as typed\s+in-scope \d/m)],
  [/\/healthz$/, (out) => expect(JSON.parse(out)).toEqual({ status: "ok" })],
  [/\/readyz$/, (out) => expect(JSON.parse(out)).toMatchObject({ status: "ready" })],
  [/\/api\/requests$/, (out) => expect(JSON.parse(out)).toHaveProperty("requests")],
];

/** Fenced code blocks, with the indentation of their fence removed (blocks inside lists). */
function fencedBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i] ?? "");
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ""); j++) body.push((lines[j] ?? "").slice(indent));
    out.push({ lang: open[2] ?? "", body: body.join("\n"), line: i + 1, end: j + 1 });
    i = j;
  }
  return out;
}

/**
 * A ```text block right after a ```sh block shows what those commands print: its `you>` and
 * `bot>` lines (and their indented continuations) must all be in the output, except lines
 * the README shortened with "…".
 */
function shownOutput(blocks: Block[], b: number): string[] {
  const sh = blocks[b];
  const next = blocks[b + 1];
  if (sh?.lang !== "sh" || next?.lang !== "text" || next.line - sh.end > 2) return [];
  return next.body
    .split("\n")
    .filter((l) => /^(you>|bot>|\s{5}\S)/.test(l) && !l.includes("…"))
    .map((l) => l.trim());
}

/** The command before an unquoted `#` comment. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1] ?? ""))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** Top-level `a && b` as its parts (quotes respected). */
function andParts(command: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (command.startsWith(" && ", i)) {
      parts.push(command.slice(start, i).trim());
      start = i + 4;
    }
  }
  parts.push(command.slice(start).trim());
  return parts;
}

function shellCommands(blocks: Block[]): Command[] {
  const out: Command[] = [];
  for (const [b, block] of blocks.entries()) {
    if (block.lang !== "sh") continue;
    const lines = block.body.split("\n");
    for (let i = 0; i < lines.length; i++) {
      let text = lines[i] ?? "";
      const line = block.line + 1 + i;
      while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${(lines[++i] ?? "").trim()}`;
      const bare = withoutComment(text.trim());
      if (!bare) continue;
      for (const part of andParts(bare))
        out.push({ text: part === bare ? text.trim() : part, bare: part, line, block: b });
    }
  }
  return out;
}

const freePort = () =>
  new Promise<number>((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? done(a.port) : fail(new Error("no port"))));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A copy of the working tree (what a fresh clone has, plus the installed node_modules). */
function copyRepo(): string {
  const root = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), "hotro-readme-"));
  const skip = new Set(["node_modules", ".git", "data", "dist", ".vitest-data", "scratch"]);
  for (const name of readdirSync(root)) {
    if (skip.has(name) || name === ".env") continue;
    cpSync(join(root, name), join(dir, name), { recursive: true });
  }
  symlinkSync(realpathSync(join(root, "node_modules")), join(dir, "node_modules"), "dir");
  return dir;
}

/** The environment of a newcomer's shell: no platform, no Redis, the defaults of SPEC.md. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(TELEGRAM|MESSENGER|ZALO|OPERATORS?|METRICS|WEBCHAT)_/.test(k)) delete env[k];
  }
  for (const k of ["REDIS_URL", "REDIS_PREFIX", "DATA_DIR", "CONFIG_DIR", "FLOWS_DIR", "PORT", "HOST", "LOG_LEVEL"]) {
    delete env[k];
  }
  for (const k of ["TRUST_PROXY", "DEBUG"]) delete env[k];
  return env;
}

const sources = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const hasSqlite3 = spawnSync("sqlite3", ["-version"]).status === 0;
/** Commands already run, so a page repeating one does not run it twice. */
const ran = new Map<string, string>();

describe("the README's commands", () => {
  let dir = "";
  let port = 0;
  const exported: Record<string, string> = {};
  let server: { proc: ChildProcess; out: () => string } | undefined;

  const stopServer = async () => {
    const s = server;
    server = undefined;
    if (!s?.proc.pid) return;
    const pid = s.proc.pid;
    process.kill(-pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) {
      process.kill(-pid, "SIGKILL");
      throw new Error(`npm start did not stop within 15 s of SIGTERM:\n${s.out().slice(-2000)}`);
    }
  };

  beforeAll(async () => {
    dir = copyRepo();
    port = await freePort();
  });
  afterAll(async () => {
    if (server?.proc.pid && alive(server.proc.pid)) process.kill(-server.proc.pid, "SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({ ...baseEnv(), ...exported, PORT: String(port), HOST: "127.0.0.1" });
  const local = (cmd: string) => cmd.replace(/\blocalhost:3000\b/g, `127.0.0.1:${port}`);

  it("finds the commands a newcomer needs in the README", () => {
    const bare = shellCommands(fencedBlocks(readFileSync("README.md", "utf8"))).map((c) => c.bare);
    for (const needed of [/npm start$/, /npm run chat$/, /^npm run check$/, /npm run classify$/, /^npm run eval -- /]) {
      expect(
        bare.some((c) => needed.test(c)),
        `the README shows no command like ${needed}`,
      ).toBe(true);
    }
  });

  for (const source of sources) {
    const blocks = fencedBlocks(readFileSync(source, "utf8"));
    const commands = shellCommands(blocks);
    const platformBlocks = new Set(commands.filter((c) => PLATFORM.test(c.bare)).map((c) => c.block));
    type Step =
      | { line: number; file: Block }
      | { line: number; command: Command }
      | { line: number; shows: { block: number; lines: string[] } };
    const steps: Step[] = [
      ...blocks
        .filter((b) => b.lang === "yaml" && /^# (flows|config)\/[\w.-]+\.ya?ml\b/.test(b.body))
        .map((b) => ({ line: b.line, file: b })),
      ...commands.map((c) => ({ line: c.line, command: c })),
      ...blocks
        .map((_, i) => ({ block: i, lines: shownOutput(blocks, i) }))
        .filter((x) => x.lines.length > 0)
        .map((x) => ({ line: blocks[x.block + 1]?.line ?? 0, shows: x })),
    ].sort((x, y) => x.line - y.line);
    const printed = new Map<number, string>();
    if (steps.length === 0) continue; // a page without commands

    describe(source, () => {
      for (const step of steps) {
        if ("file" in step) {
          const path = /^# ((?:flows|config)\/[\w.-]+\.ya?ml)/.exec(step.file.body)?.[1] ?? "";
          it(`${source}:${step.line}: writes ${path}`, () => {
            mkdirSync(dirname(join(dir, path)), { recursive: true });
            writeFileSync(join(dir, path), `${step.file.body}\n`);
          });
          continue;
        }
        if ("shows" in step) {
          it(`${source}:${step.line}: the commands above print what the README shows`, () => {
            const out = (printed.get(step.shows.block) ?? "").split("\n").map((l) => l.trim());
            for (const l of step.shows.lines) expect(out, `printed:\n${out.join("\n")}`).toContain(l);
          });
          continue;
        }
        const c = step.command;
        const name = `${source}:${c.line}: ${c.bare}`;
        const earlier = ran.get(c.bare);
        const reason =
          NOT_RUN.find(([re]) => re.test(c.bare))?.[1] ??
          (PLATFORM.test(c.bare)
            ? "needs a platform account"
            : platformBlocks.has(c.block) && /^npm (start|run)\b/.test(c.bare)
              ? "part of a platform's set-up (its block needs a platform account)"
              : /^sqlite3\b/.test(c.bare) && !hasSqlite3
                ? "needs the sqlite3 CLI"
                : earlier && !SERVER.test(c.bare) && !EXPORT.test(c.bare)
                  ? `the same as ${earlier}, run above`
                  : undefined);
        if (!reason) ran.set(c.bare, `${source}:${c.line}`);
        if (reason) {
          it(`${name}  [not run: ${reason}]`, () => {
            const script = /\bnpm run ([\w:-]+)/.exec(c.bare)?.[1];
            if (!script) return;
            const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
            expect(scripts[script], `package.json has no script ${script}`).toBeDefined();
            const file = /^tsx (\S+)/.exec(scripts[script] ?? "")?.[1];
            if (file) expect(existsSync(file), `${file} (npm run ${script})`).toBe(true);
          });
          continue;
        }

        const exp = EXPORT.exec(c.bare);
        if (exp) {
          it(name, () => {
            const r = spawnSync("bash", ["-c", `${c.bare}; printf %s "$${exp[1]}"`], { env: env(), encoding: "utf8" });
            expect(r.status, r.stderr).toBe(0);
            exported[exp[1] ?? ""] = r.stdout;
          });
          continue;
        }

        if (SERVER.test(c.bare)) {
          it(`${name}  [started, then stopped with SIGTERM once /healthz answers]`, async () => {
            await stopServer();
            let out = "";
            const proc = spawn("bash", ["-c", c.bare], {
              cwd: dir,
              env: env(),
              detached: true,
              stdio: ["ignore", "pipe", "pipe"],
            });
            proc.stdout?.on("data", (d) => {
              out += d;
            });
            proc.stderr?.on("data", (d) => {
              out += d;
            });
            server = { proc, out: () => out };
            const deadline = Date.now() + 60_000;
            let healthy = false;
            while (!healthy && Date.now() < deadline && proc.exitCode === null) {
              healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
                (r) => r.ok,
                () => false,
              );
              if (!healthy) await new Promise((r) => setTimeout(r, 200));
            }
            expect(healthy, `npm start did not answer /healthz:\n${out.slice(-2000)}`).toBe(true);
            // The page the README sends people to.
            const page = await fetch(`http://127.0.0.1:${port}/`);
            expect(page.status).toBe(200);
            expect(page.headers.get("content-type")).toContain("text/html");
          }, 90_000);
          continue;
        }

        it(name, () => {
          if (/\blocalhost:3000\b/.test(c.bare)) expect(server, "no npm start before this command").toBeDefined();
          // `npm run operator -- add|passwd` reads the password from standard input: give it one.
          const password = /\bnpm run operator -- (add|passwd)\b/.test(c.bare) && !c.bare.includes("|");
          const r = spawnSync("bash", ["-c", `set -o pipefail; ${local(c.text)}`], {
            cwd: dir,
            env: { ...env(), ADMIN_PASSWORD: "readme-test-password-1234" },
            encoding: "utf8",
            stdio: [password ? "pipe" : "ignore", "pipe", "pipe"],
            ...(password ? { input: "readme-test-password-1234\n" } : {}),
            timeout: 120_000,
          });
          printed.set(c.block, `${printed.get(c.block) ?? ""}${r.stdout}`);
          expect(r.status, `exit code of: ${c.text}\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`).toBe(0);
          for (const [re, check] of EXPECT) if (re.test(c.bare)) check(r.stdout);
          // A comment promising an intent (`# {…"intent":"app.download"…}`) is checked too.
          const promised = /"intent":"([\w.]+)"/.exec(c.text.slice(c.bare.length))?.[1];
          if (promised) expect(r.stdout).toContain(`"intent":"${promised}"`);
        }, 150_000);
      }

      if (commands.some((c) => SERVER.test(c.bare) && !platformBlocks.has(c.block)))
        it(`${source}: the server stops within 15 s of SIGTERM`, stopServer, 30_000);
    });
  }

  it("links between the README and docs/ lead to files and headings that exist", () => {
    // GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens.
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-");
    const anchors = (file: string) =>
      new Set(
        readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => /^#{1,6} /.test(l))
          .map((l) => slug(l.replace(/^#+ /, ""))),
      );
    const broken: string[] = [];
    for (const source of sources) {
      const text = readFileSync(source, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/.test(target)) continue;
        const [path = "", anchor] = target.split("#");
        const file = path ? join(dirname(source), path) : source;
        if (!existsSync(file)) broken.push(`${source}: ${target} (no such file)`);
        else if (anchor && file.endsWith(".md") && !anchors(file).has(anchor))
          broken.push(`${source}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("ran in a copy with its own data directory", () => {
    expect(resolve(dir)).not.toBe(resolve(process.cwd()));
    expect(existsSync(join(dir, "data", "hotro.db"))).toBe(true);
  });
});
