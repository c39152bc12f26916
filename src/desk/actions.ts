import { randomUUID } from "node:crypto";
import type { ControlEvent } from "../ports/control.js";
import type { Attachment } from "../ports/message.js";
import type { Outbox } from "../ports/queue.js";
import type { RequestRecord, RequestStore } from "../ports/requests.js";

/** Who acts: the login name (assignments) and the name the user and colleagues read. */
export interface Actor {
  name: string;
  displayName: string;
}

export type ActionResult =
  | { ok: true; request: RequestRecord }
  | { ok: false; status: 400 | 404 | 409; error: string; request?: RequestRecord };

export interface DeskActionsDeps {
  requests: RequestStore;
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  /** Record an operator's action in the user's conversation (Runtime.control). */
  control(conv: string, event: ControlEvent, key: string): Promise<boolean>;
  /** Where the operators' group posts are queued (a note shows in the group too, when there is one). */
  outbox?: Outbox;
  now?: () => number;
}

const notFound = (id: string): ActionResult => ({ ok: false, status: 404, error: `request ${id} not found` });

/**
 * What operators do to a request from the console or the API. Everything that reaches the
 * user (a reply, a close, the bot taking over again) is a control event in the user's own
 * conversation, exactly as from the Telegram group, so both surfaces stay in step and the
 * user's messages and the operators' actions are handled in one order. Who holds a request
 * is decided here, under a lock across processes, and written at once: of two operators
 * pressing Take together, one gets it and the other a 409.
 */
export class DeskActions {
  constructor(private readonly d: DeskActionsDeps) {}

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }

  private key(): string {
    return `console:${randomUUID()}`;
  }

  private locked(id: string, fn: (r: RequestRecord) => Promise<ActionResult>): Promise<ActionResult> {
    return this.d.withLock(`desk:request:${id}`, 10_000, async () => {
      const r = await this.d.requests.get(id);
      return r ? fn(r) : notFound(id);
    });
  }

  take(id: string, me: Actor): Promise<ActionResult> {
    return this.locked(id, async (r) => {
      if (r.status === "resolved")
        return { ok: false, status: 409, error: `${r.id} is resolved: reopen it first`, request: r };
      if (r.assignee === me.name) return { ok: true, request: r };
      if (r.assignee) return { ok: false, status: 409, error: `${r.id} is already taken by ${r.assignee}`, request: r };
      return this.give(r, me.name);
    });
  }

  /** A lead gives a request to `to` (or takes it over from whoever held it). */
  assign(id: string, to: Actor, by: Actor): Promise<ActionResult> {
    return this.locked(id, async (r) => {
      if (r.status === "resolved")
        return { ok: false, status: 409, error: `${r.id} is resolved: reopen it first`, request: r };
      if (r.assignee === to.name) return { ok: true, request: r };
      await this.d.requests.append(r.id, `${this.key()}:assigned`, {
        from: "bot",
        text: `assigned to ${to.name} by ${by.displayName}`,
        at: this.now(),
        kind: "event",
        event: "assigned",
        by: by.displayName,
        to: to.name,
      });
      return this.give(r, to.name);
    });
  }

  private async give(r: RequestRecord, name: string): Promise<ActionResult> {
    const status = r.status === "open" ? "in_progress" : r.status;
    const rec = (await this.d.requests.update(r.id, { assignee: name, status }, this.now())) ?? r;
    await this.d.control(r.conv, { kind: "request_taken", requestId: r.id, operator: name }, this.key());
    return { ok: true, request: rec };
  }

  async reply(id: string, text: string, by: Actor, attachments: Attachment[] = []): Promise<ActionResult> {
    const r = await this.d.requests.get(id);
    if (!r) return notFound(id);
    if (r.status === "resolved")
      return { ok: false, status: 409, error: `${r.id} is resolved: reopen it to write to the user`, request: r };
    const event: ControlEvent = {
      kind: "operator_message",
      requestId: r.id,
      operator: by.displayName,
      surface: "console",
    };
    if (text) event.text = text;
    if (attachments.length) event.attachments = attachments;
    await this.d.control(r.conv, event, this.key());
    return { ok: true, request: r };
  }

  /** A private note: kept with the request for colleagues, never sent to the user. */
  async note(id: string, text: string, by: Actor): Promise<ActionResult> {
    const r = await this.d.requests.get(id);
    if (!r) return notFound(id);
    const key = this.key();
    await this.d.requests.append(r.id, key, {
      from: "operator",
      text,
      at: this.now(),
      kind: "note",
      by: by.displayName,
      id: key,
    });
    // The Telegram group, when configured, shows the note in the request's topic (the
    // runtime drops operators' jobs when there is no group).
    await this.d.outbox?.enqueue([
      {
        key: `${key}:ops`,
        lane: `ops:${r.id}`,
        body: { kind: "ops", requestId: r.id, op: "note", text, operator: by.displayName },
      },
    ]);
    return { ok: true, request: r };
  }

  close(id: string, by: Actor): Promise<ActionResult> {
    return this.locked(id, async (r) => {
      if (r.status === "resolved") return { ok: false, status: 409, error: `${r.id} is already resolved`, request: r };
      // Written now, so a second close (here or on another process) is refused, not told to the user twice.
      const rec = (await this.d.requests.update(r.id, { status: "resolved" }, this.now())) ?? r;
      await this.d.control(r.conv, { kind: "request_closed", requestId: r.id, operator: by.displayName }, this.key());
      return { ok: true, request: rec };
    });
  }

  reopen(id: string, by: Actor): Promise<ActionResult> {
    return this.locked(id, async (r) => {
      if (r.status !== "resolved") return { ok: false, status: 409, error: `${r.id} is not resolved`, request: r };
      const rec = (await this.d.requests.update(r.id, { status: "open", handoff: true }, this.now())) ?? r;
      await this.d.control(r.conv, { kind: "request_reopened", requestId: r.id, operator: by.displayName }, this.key());
      return { ok: true, request: rec };
    });
  }

  /** The bot answers the user again; the request stays as it is. */
  backToBot(id: string, by: Actor): Promise<ActionResult> {
    return this.locked(id, async (r) => {
      if (r.status === "resolved") return { ok: false, status: 409, error: `${r.id} is resolved`, request: r };
      await this.d.control(r.conv, { kind: "back_to_bot", requestId: r.id, operator: by.displayName }, this.key());
      return { ok: true, request: r };
    });
  }
}
