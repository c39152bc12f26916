import type { Logger } from "pino";
import type { Content } from "../content/types.js";
import type { Backend } from "../ports/backend.js";
import type { ControlEvent } from "../ports/control.js";
import type { DeskAvailability, DeskStatus } from "../ports/desk.js";
import type { RequestRecord } from "../ports/requests.js";
import { slaClock } from "../quality/sla.js";
import { Accounts } from "./accounts.js";
import { DeskActions } from "./actions.js";
import { AuditTrail } from "./audit.js";
import { CannedReplies } from "./canned.js";
import { type InboxPage, type InboxQuery, listInbox } from "./inbox.js";
import { type LiveEvent, publishLive } from "./live.js";
import { People } from "./people.js";
import { Presence } from "./presence.js";
import { ConsoleSessions } from "./sessions.js";
import { LoginThrottle } from "./throttle.js";
import { type ChannelInfo, type RequestView, requestView } from "./view.js";

export interface DeskOptions {
  backend: Pick<Backend, "desk" | "kv" | "withLock" | "bus" | "requests" | "sessions" | "outbox" | "audit" | "people">;
  content: Content;
  log: Logger;
  /** Records an operator's action in the user's conversation (Runtime.control). */
  control(conv: string, event: ControlEvent, key: string): Promise<boolean>;
  channels: ChannelInfo;
  now?: () => number;
  /** The app's clock for the requests' promised times (a test fixes it; logins keep `now`). */
  clock?: () => number;
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
  readonly audit: AuditTrail;
  readonly people: People;

  constructor(readonly o: DeskOptions) {
    const now = o.now ?? Date.now;
    const b = o.backend;
    const withLock = <T>(n: string, ttl: number, fn: () => Promise<T>) => b.withLock(n, ttl, fn);
    this.accounts = new Accounts(b.desk, now);
    this.throttle = new LoginThrottle(b.kv, withLock, undefined, now);
    this.sessions = new ConsoleSessions(b.desk, this.accounts, this.throttle, undefined, now);
    this.actions = new DeskActions({ requests: b.requests, withLock, control: o.control, outbox: b.outbox, now });
    this.canned = new CannedReplies(b.kv, withLock, o.content, now);
    this.presence = new Presence(b.kv, withLock, undefined, now);
    this.audit = new AuditTrail(b.audit, o.log, now);
    this.people = new People(b.people, this.audit, o.log, now, o.control);
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

  async inbox(query: InboxQuery, me: string): Promise<InboxPage> {
    const now = this.o.clock?.() ?? this.now();
    const config = this.o.content.config;
    const page = await listInbox(this.o.backend.requests, query, me, (r) => slaClock(r, config, now));
    this.nameUnnamed(page.requests);
    return page;
  }

  /** Requests whose user's name was asked of the platform lately (by id): not asked again for a while. */
  private readonly named = new Map<string, number>();

  /**
   * Zalo and Messenger give a user's name on request only: the inbox asks for the names it
   * lacks in the background (a few at a time, each at most every 10 minutes per process); a
   * name found is written to the request, and the consoles hear of it like any change.
   */
  private nameUnnamed(items: RequestRecord[]): void {
    const lookup = this.o.channels.displayName;
    if (!lookup) return;
    const now = this.now();
    for (const [id, at] of this.named) if (now - at > 10 * 60_000) this.named.delete(id);
    for (const r of items.filter((x) => !x.displayName && !this.named.has(x.id)).slice(0, 10)) {
      this.named.set(r.id, now);
      void lookup(r.channel, r.userId)
        .then((name) => (name ? this.o.backend.requests.update(r.id, { displayName: name }, this.now()) : undefined))
        .catch((err) => this.o.log.debug({ err, request: r.id }, "desk: no name for the user"));
    }
  }

  view(id: string): Promise<RequestView | undefined> {
    return requestView(
      { requests: this.o.backend.requests, sessions: this.o.backend.sessions, channels: this.o.channels },
      id,
    );
  }
}
