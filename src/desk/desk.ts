import type { Logger } from "pino";
import type { Content } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import type { ControlEvent } from "../ports/control.js";
import type { DeskAvailability, DeskStatus } from "../ports/desk.js";
import { Accounts } from "./accounts.js";
import { DeskActions } from "./actions.js";
import { CannedReplies } from "./canned.js";
import { type InboxPage, type InboxQuery, listInbox } from "./inbox.js";
import { type LiveEvent, publishLive } from "./live.js";
import { Presence } from "./presence.js";
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
export class Desk implements DeskAvailability {
  readonly accounts: Accounts;
  readonly presence: Presence;
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
    this.presence = new Presence(b.kv, withLock, undefined, now);
    this.now = now;
  }

  private readonly now: () => number;
  private known?: { at: number; status: DeskStatus };

  /**
   * For the engine at a hand-off: whether anyone can answer on the console (an account
   * exists) and how many have it open. Asked before every turn, so it is kept a few seconds.
   */
  async status(): Promise<DeskStatus> {
    const now = this.now();
    if (this.known && now - this.known.at < 3_000) return this.known.status;
    const [accounts, online] = await Promise.all([this.o.backend.desk.operators.count(), this.presence.online()]);
    const status = { staffed: accounts > 0, online: online.length };
    this.known = { at: now, status };
    return status;
  }

  /** Tell every process's consoles (canned replies changed, presence). */
  publish(e: LiveEvent): Promise<void> {
    if (e.type === "presence") delete this.known;
    return publishLive(this.o.backend.bus, e);
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
