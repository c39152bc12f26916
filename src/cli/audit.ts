import { pathToFileURL } from "node:url";
import type { AuditEntry } from "../ports/audit.js";
import type { Backend } from "../ports/backend.js";
import { verifyChain } from "../privacy/chain.js";
import { runCli } from "../shell/run.js";
import { cliStore } from "./store.js";

/**
 * `npm run audit -- verify` checks the audit log's hash chain (exit 1 at the first broken
 * entry); `list [--last N]` prints entries one per line; `export` writes them all as JSON
 * lines on standard output (for an inspector, or to keep beyond the retention period).
 */
export interface AuditIO {
  out: (line: string) => void;
  err: (line: string) => void;
  backend?: Pick<Backend, "audit" | "close">;
}

const USAGE = ["usage: npm run audit -- verify | list [--last N] | export"];

const line = (e: AuditEntry) =>
  [
    new Date(e.at).toISOString(),
    `#${e.seq}`,
    e.actor,
    e.action,
    e.target ?? "-",
    e.detail ? JSON.stringify(e.detail) : "",
  ].join("\t");

export async function auditCommand(argv: string[], io: AuditIO): Promise<number> {
  const [command] = argv;
  if (!command || !["verify", "list", "export"].includes(command)) {
    for (const l of USAGE) io.err(l);
    return 2;
  }
  const backend = io.backend ?? cliStore().backend;
  try {
    if (command === "verify") {
      const v = await verifyChain(backend.audit);
      if (v.ok) {
        io.out(`audit log intact: ${v.entries} entries, head #${v.head.seq} ${v.head.hash}`);
        return 0;
      }
      io.err(`audit log BROKEN at entry #${v.seq}: ${v.reason}`);
      return 1;
    }
    const lastFlag = argv.indexOf("--last");
    const last = lastFlag >= 0 ? Number(argv[lastFlag + 1]) : undefined;
    const all: AuditEntry[] = [];
    for (let after = (await backend.audit.anchor()).seq; ; ) {
      const page = await backend.audit.list({ afterSeq: after, limit: 1000 });
      if (page.length === 0) break;
      all.push(...page);
      after = page.at(-1)?.seq ?? after;
    }
    const shown = last && Number.isFinite(last) ? all.slice(-last) : all;
    for (const e of shown) io.out(command === "export" ? JSON.stringify(e) : line(e));
    return 0;
  } finally {
    if (!io.backend) await backend.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli("audit", () =>
    auditCommand(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }),
  );
}
