import { pathToFileURL } from "node:url";
import { createLogger } from "../config/log.js";
import type { PrivacyConfig } from "../content/privacy.js";
import type { Backend } from "../ports/backend.js";
import { sweepOnce } from "../privacy/sweeper.js";
import { runCli } from "../shell/run.js";
import { cliStore } from "./store.js";

/**
 * Breach readiness and retention from a shell:
 * - `npm run people -- held --at 2026-11-24T10:00:00+07:00`: whose data was held at that
 *   moment and of which kinds (one JSON line per person), from what the store still holds
 *   from before then and the erasures the audit log recorded after it. For the notification
 *   to the authority and to the people concerned.
 * - `npm run people -- sweep`: one retention pass now (the server runs one every `sweep_every`).
 */
export interface PeopleIO {
  out: (line: string) => void;
  err: (line: string) => void;
  backend?: Pick<Backend, "people" | "audit" | "withLock" | "close">;
  privacy?: PrivacyConfig;
}

const USAGE = ["usage: npm run people -- held --at <ISO time> | sweep"];

export async function peopleCommand(argv: string[], io: PeopleIO): Promise<number> {
  const [command] = argv;
  const at = argv[argv.indexOf("--at") + 1];
  if (command === "held" && (!argv.includes("--at") || !at || Number.isNaN(Date.parse(at)))) {
    io.err("held needs --at <ISO time>, e.g. --at 2026-11-24T10:00:00+07:00");
    return 2;
  }
  if (command !== "held" && command !== "sweep") {
    for (const l of USAGE) io.err(l);
    return 2;
  }
  const store = io.backend && io.privacy ? undefined : cliStore();
  const backend = io.backend ?? (store?.backend as Backend);
  const privacy = io.privacy ?? (store?.content.config.privacy as PrivacyConfig);
  try {
    if (command === "sweep") {
      const swept = await sweepOnce({
        people: backend.people,
        audit: backend.audit,
        holders: () => [],
        privacy: () => privacy,
        withLock: (n, ttl, fn) => backend.withLock(n, ttl, fn),
        log: createLogger("warn"),
      });
      io.out(JSON.stringify(swept));
      return 0;
    }
    const when = Date.parse(at ?? "");
    const held = await backend.people.heldAt(when);
    for (const h of held) io.out(JSON.stringify(h));
    // Erased since: held then, gone now; the audit log says who they were.
    let n = 0;
    for (let after = (await backend.audit.anchor()).seq; ; ) {
      const page = await backend.audit.list({ afterSeq: after, limit: 1000 });
      if (page.length === 0) break;
      for (const e of page) {
        if (e.action === "erase_person" && e.at > when && e.target && !held.some((h) => h.conv === e.target)) {
          io.out(
            JSON.stringify({
              conv: e.target,
              kinds: ["possibly held: erased since"],
              erasedAt: new Date(e.at).toISOString(),
            }),
          );
          n++;
        }
      }
      after = page.at(-1)?.seq ?? after;
    }
    io.err(`${held.length + n} person(s) with data held at ${new Date(when).toISOString()}`);
    return 0;
  } finally {
    if (!io.backend) await backend.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli("people", () =>
    peopleCommand(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }),
  );
}
