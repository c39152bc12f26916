import type { Logger } from "pino";
import type { Content } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import { Accounts } from "./accounts.js";
import { ConsoleSessions } from "./sessions.js";
import { LoginThrottle } from "./throttle.js";

export interface DeskOptions {
  backend: Pick<Backend, "desk" | "kv" | "withLock" | "bus" | "requests" | "sessions">;
  content: Content;
  log: Logger;
  now?: () => number;
}

/**
 * The operators' desk (DESIGN.md: one domain, two surfaces): accounts and logins here; the
 * server's routes and the console are one surface, the Telegram group the other.
 */
export class Desk {
  readonly accounts: Accounts;
  readonly throttle: LoginThrottle;
  readonly sessions: ConsoleSessions;

  constructor(readonly o: DeskOptions) {
    const now = o.now ?? Date.now;
    const b = o.backend;
    this.accounts = new Accounts(b.desk, now);
    this.throttle = new LoginThrottle(b.kv, (n, ttl, fn) => b.withLock(n, ttl, fn), undefined, now);
    this.sessions = new ConsoleSessions(b.desk, this.accounts, this.throttle, undefined, now);
  }
}
