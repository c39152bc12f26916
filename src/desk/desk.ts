import type { Logger } from "pino";
import type { Content } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import type { ControlEvent } from "../ports/control.js";
import { Accounts } from "./accounts.js";
import { DeskActions } from "./actions.js";
import { CannedReplies } from "./canned.js";
import { type InboxPage, type InboxQuery, listInbox } from "./inbox.js";
import { ConsoleSessions } from "./sessions.js";
import { LoginThrottle } from "./throttle.js";
import { type ChannelInfo, type RequestView, requestView } from "./view.js";

export interface DeskOptions {
  backend: Pick<Backend, "desk" | "kv" | "withLock" | "bus" | "requests" | "sessions">;
  content: Content;
  log: Logger;
  /** Records an operator's action in the user's conversation (Runtime.control). */
  control(conv: string, event: ControlEvent, key: string): Promise<boolean>;
  channels: ChannelInfo;
  now?: () => number;
}

/**
 * The operators' desk (DESIGN.md: one domain, two surfaces): accounts and logins, the inbox,
 * one request's view, what operators do to requests, canned replies. The server's routes and
 * the console are one surface over it, the Telegram group the other.
 */
export class Desk {
  readonly accounts: Accounts;
  readonly throttle: LoginThrottle;
  readonly sessions: ConsoleSessions;
  readonly actions: DeskActions;
  readonly canned: CannedReplies;

  constructor(readonly o: DeskOptions) {
    const now = o.now ?? Date.now;
    const b = o.backend;
    const withLock = <T>(n: string, ttl: number, fn: () => Promise<T>) => b.withLock(n, ttl, fn);
    this.accounts = new Accounts(b.desk, now);
    this.throttle = new LoginThrottle(b.kv, withLock, undefined, now);
    this.sessions = new ConsoleSessions(b.desk, this.accounts, this.throttle, undefined, now);
    this.actions = new DeskActions({ requests: b.requests, withLock, control: o.control, now });
    this.canned = new CannedReplies(b.kv, withLock, o.content, now);
  }

  inbox(query: InboxQuery, me: string): Promise<InboxPage> {
    return listInbox(this.o.backend.requests, query, me);
  }

  view(id: string): Promise<RequestView | undefined> {
    return requestView(
      { requests: this.o.backend.requests, sessions: this.o.backend.sessions, channels: this.o.channels },
      id,
    );
  }
}
