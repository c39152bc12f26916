import { EnvError } from "../config/env.js";
import { ContentError, formatProblem } from "../content/types.js";

/**
 * What went wrong, in one line a person can act on, with the fix where it is known. A CLI
 * never prints a stack trace unless DEBUG=1 asks for it.
 */
export function explain(err: unknown): string[] {
  if (err instanceof EnvError) return err.problems.map((p) => `environment: ${p}`);
  if (err instanceof ContentError) {
    return [
      ...err.problems.map(formatProblem),
      `${err.problems.length} problem(s) in config/ or flows/: fix them, then run npm run check`,
    ];
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = e.path ?? (e.address ? `${e.address}:${e.port ?? ""}` : "");
  switch (e?.code) {
    case "ENOENT":
      return [`no such file: ${where} (check the path; paths are relative to ${process.cwd()})`];
    case "EACCES":
    case "EPERM":
      return [`not allowed to use ${where}: check its permissions (DATA_DIR must be writable)`];
    case "EADDRINUSE":
      return [`port ${e.port ?? where} is already in use: stop the other server or set PORT`];
    case "ECONNREFUSED":
      return [`nothing answers at ${where}: is the service running? (Redis: start it, or unset REDIS_URL)`];
  }
  return [err instanceof Error ? err.message : String(err)];
}

/** Run a CLI's `main`, set its exit code, and report a failure as `name: cause` lines. */
export function runCli(name: string, main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        for (const line of explain(err)) console.error(`${name}: ${line}`);
        if (process.env.DEBUG === "1") console.error(err);
        else if (!(err instanceof EnvError || err instanceof ContentError))
          console.error(`(DEBUG=1 shows the details)`);
        process.exitCode = 1;
      },
    );
}
