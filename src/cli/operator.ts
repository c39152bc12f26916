import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { type CoreEnv, parseCoreEnv } from "../config/env.js";
import { createLogger } from "../config/log.js";
import { loadContent } from "../content/load.js";
import { AccountError, Accounts } from "../desk/accounts.js";
import type { Backend } from "../ports/backend.js";
import { ROLES } from "../ports/desk.js";
import { runCli } from "../shell/run.js";
import { DEFAULT_DELIVERY } from "../store/options.js";
import { backendFor } from "../store/select.js";

/**
 * `npm run operator -- add NAME --role agent|lead|admin [--name "Lan Nguyễn"]`, `list`,
 * `remove NAME`, `passwd NAME`, `role NAME --role lead`. Passwords come from standard input
 * (one line; typed without echo on a terminal), never from the command line, where they
 * would stay in the shell's history and in `ps`. Accounts are written where the server
 * reads them (SQLite in DATA_DIR, or Redis when REDIS_URL is set): no restart needed.
 */

export interface OperatorIO {
  /** One line from standard input (hidden on a terminal); undefined when nothing came. */
  readPassword: (prompt: string) => Promise<string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The store; built from the environment as the server does when absent. */
  backend?: Pick<Backend, "desk" | "close"> & Partial<Pick<Backend, "audit">>;
  env?: CoreEnv;
}

const USAGE = [
  "usage: npm run operator -- <command>",
  `  add NAME --role ${ROLES.join("|")} [--name "Display Name"]   password on standard input`,
  "  list",
  "  remove NAME",
  "  passwd NAME                                       new password on standard input",
  `  role NAME --role ${ROLES.join("|")}`,
];

function flag(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const a = argv[i] ?? "";
  return a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[i + 1];
}

function positional(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a.startsWith("--")) {
      if (!a.includes("=")) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function buildBackend(env: CoreEnv): Backend {
  const log = createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : "warn");
  const config = loadContent({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR }).content?.config;
  return backendFor(env, log, config ?? { brand: { name: "", request_prefix: "HT" }, delivery: DEFAULT_DELIVERY });
}

/** Runs one command; resolves with the exit code. */
export async function operatorCommand(argv: string[], io: OperatorIO): Promise<number> {
  const [command, name, ...extra] = positional(argv);
  if (!command || !["add", "list", "remove", "passwd", "role"].includes(command) || extra.length > 0) {
    for (const l of USAGE) io.err(l);
    return 2;
  }
  if (command !== "list" && !name) {
    io.err(`${command} needs the operator's NAME`);
    for (const l of USAGE) io.err(l);
    return 2;
  }
  if (argv.some((a) => /^--pass(word)?\b/.test(a))) {
    io.err("the password is read from standard input, never from the command line");
    return 2;
  }
  const backend = io.backend ?? buildBackend(io.env ?? parseCoreEnv());
  const accounts = new Accounts(backend.desk);
  // Operator management from a shell is in the audit log too (actor `cli`: whoever has the shell).
  const audit = (
    action: "operator_add" | "operator_change" | "operator_remove",
    target: string,
    detail?: Record<string, string>,
  ) => backend.audit?.append({ at: Date.now(), actor: "cli", action, target, ...(detail ? { detail } : {}) });
  const password = async (what: string) => {
    const p = await io.readPassword(what);
    if (!p) throw new AccountError("no password on standard input (one line)", "invalid");
    return p;
  };
  try {
    switch (command) {
      case "list": {
        const all = await accounts.list();
        if (all.length === 0) io.out("no operators yet: npm run operator -- add NAME --role admin");
        for (const a of all) io.out(`${a.name}\t${a.role}${a.displayName !== a.name ? `\t${a.displayName}` : ""}`);
        return 0;
      }
      case "add": {
        const role = flag(argv, "--role");
        if (!role) throw new AccountError(`add needs --role ${ROLES.join("|")}`, "invalid");
        const displayName = flag(argv, "--name");
        const a = await accounts.add({
          name: name ?? "",
          role,
          password: await password(`Password for ${name}: `),
          ...(displayName ? { displayName } : {}),
        });
        await audit("operator_add", a.name, { role: a.role });
        io.out(`operator ${a.name} added (${a.role}); they can log in at /console`);
        return 0;
      }
      case "remove": {
        const ended = await accounts.remove(name ?? "");
        await audit("operator_remove", name ?? "");
        io.out(`operator ${name} removed${ended ? `; ${ended} console login(s) ended` : ""}`);
        return 0;
      }
      case "passwd": {
        const ended = await accounts.setPassword(name ?? "", await password(`New password for ${name}: `));
        await audit("operator_change", name ?? "", { password: "changed" });
        io.out(`password of ${name} changed${ended ? `; ${ended} console login(s) ended` : ""}`);
        return 0;
      }
      case "role": {
        const role = flag(argv, "--role");
        if (!role) throw new AccountError(`role needs --role ${ROLES.join("|")}`, "invalid");
        const a = await accounts.setRole(name ?? "", role);
        await audit("operator_change", a.name, { role: a.role });
        io.out(`operator ${a.name} is now ${a.role}`);
        return 0;
      }
    }
    return 2;
  } catch (err) {
    if (err instanceof AccountError) {
      io.err(`operator: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    if (!io.backend) await backend.close();
  }
}

/** One line of standard input: typed without echo on a terminal, else the first line piped in. */
function readLine(prompt: string): Promise<string | undefined> {
  const tty = !!process.stdin.isTTY;
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: tty });
  return new Promise((resolve) => {
    let answered = false;
    rl.on("close", () => {
      if (!answered) resolve(undefined);
    });
    rl.question(tty ? prompt : "", (line) => {
      answered = true;
      if (tty) process.stderr.write("\n");
      rl.close();
      resolve(line.replace(/\r$/, ""));
    });
    muted = tty;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli("operator", () =>
    operatorCommand(process.argv.slice(2), {
      readPassword: readLine,
      out: (l) => console.log(l),
      err: (l) => console.error(l),
    }),
  );
}
