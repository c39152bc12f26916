import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { SendOutcome } from "../../src/ports/queue.js";
import type { GraphClient } from "./client.js";
import { classifyError } from "./outbound.js";

/**
 * Who owns each user's thread under Meta's Conversation Routing (the successor of the handover
 * protocol, notes/messenger.md §7): this app, the Page Inbox, or another app. Kept in the
 * shared store per user, from what the webhook says (`standby` items, `messaging_handovers`)
 * and from our own take/pass calls, so every process agrees.
 */
export interface ThreadRecord {
  /** `self`: this app; an app id (the Page Inbox's is 263902037430900); `other`: another app, not named. */
  owner: string;
  /** Operators were told (in the request's transcript) who has the conversation since it changed hands. */
  marked?: boolean;
  at: number;
}

/** Control expires after 24 h idle and a person may answer for 7 days: a week covers both. */
const THREAD_TTL_MS = 7 * 24 * 3_600_000;
const CALL_TIMEOUT_MS = 5_000;

export interface ThreadsOptions {
  client: GraphClient;
  kv: Keyv;
  log: Logger;
  /** MESSENGER_INBOX_APP_ID */
  inboxAppId: string;
  /** MESSENGER_TAKE_THREAD */
  take: boolean;
  now(): number;
}

export class Threads {
  constructor(private readonly o: ThreadsOptions) {}

  private key(psid: string): string {
    return `messenger:thread:${psid}`;
  }

  async get(psid: string): Promise<ThreadRecord | undefined> {
    return ((await this.o.kv.get(this.key(psid)).catch(() => undefined)) as ThreadRecord | undefined) ?? undefined;
  }

  async set(psid: string, owner: string, marked?: boolean): Promise<void> {
    const r: ThreadRecord = { owner, at: this.o.now() };
    if (marked !== undefined) r.marked = marked;
    await this.o.kv.set(this.key(psid), r, THREAD_TTL_MS).catch(() => undefined);
  }

  /** The owner's name as operators read it. */
  nameOf(r: ThreadRecord | undefined): string {
    if (!r || r.owner === "other" || r.owner === this.o.inboxAppId) return "Page Inbox";
    return r.owner === "self" ? "hotro" : `app ${r.owner}`;
  }

  /** A message from the user in `messaging`: this app has the thread (or the Page has no routing). */
  async ours(psid: string): Promise<void> {
    const r = await this.get(psid);
    if (r && r.owner !== "self") await this.set(psid, "self");
  }

  /**
   * A message from the user in `standby`: another app has the thread. True the first time since
   * it changed hands (operators are told once).
   */
  async standby(psid: string): Promise<{ name: string; first: boolean }> {
    const r = await this.get(psid);
    const owner = r && r.owner !== "self" ? r.owner : "other";
    const first = !r || r.owner === "self" || !r.marked;
    if (first) await this.set(psid, owner, true);
    return { name: this.nameOf(r && r.owner !== "self" ? r : undefined), first };
  }

  /**
   * Make this app the thread's owner before hotro's people speak in it. Nothing to do when it
   * is ours already (as far as we know: a refusal later says otherwise, see `channel.ts`).
   */
  async claim(psid: string, why: string): Promise<SendOutcome> {
    const r = await this.get(psid);
    if (!r || r.owner === "self") return { ok: true };
    return this.take(psid, why);
  }

  /** `take_thread_control`: refused in words an operator can act on when the app's role does not allow it. */
  async take(psid: string, why: string): Promise<SendOutcome> {
    if (!this.o.take) {
      return {
        ok: false,
        permanent: true,
        reason: "other",
        error:
          "not sent: the Page Inbox has this conversation and MESSENGER_TAKE_THREAD is off: answer from the Page Inbox (Meta Business Suite), or turn it on",
      };
    }
    const r = await this.o.client.post(
      "/me/take_thread_control",
      { recipient: { id: psid }, metadata: `hotro: ${why}` },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    if (r.ok) {
      await this.set(psid, "self");
      this.o.log.info({ conv: `messenger:${psid}`, why }, "took the conversation back from the Page Inbox");
      return { ok: true };
    }
    const c = classifyError(r);
    if (!c.outcome.ok && !c.outcome.permanent) return c.outcome;
    const said = c.outcome.ok ? "" : c.outcome.error;
    this.o.log.warn({ conv: `messenger:${psid}`, code: r.error?.code, subcode: r.error?.error_subcode }, said);
    return {
      ok: false,
      permanent: true,
      reason: "auth",
      error: `not sent: the Page Inbox has this conversation and Meta refused to hand it to this app (take_thread_control). In the Page's settings, Advanced messaging > Conversation routing, make this app the default app and let it take control; or answer from the Page Inbox (${said})`,
    };
  }

  /** `pass_thread_control` to the Page Inbox (its people answer there): after a close, when it is primary. */
  async passToInbox(psid: string, why: string): Promise<boolean> {
    const r = await this.o.client.post(
      "/me/pass_thread_control",
      { recipient: { id: psid }, target_app_id: this.o.inboxAppId, metadata: `hotro: ${why}` },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    if (r.ok) {
      await this.set(psid, this.o.inboxAppId, false);
      this.o.log.info({ conv: `messenger:${psid}`, why }, "conversation handed back to the Page Inbox");
      return true;
    }
    this.o.log.warn(
      { conv: `messenger:${psid}`, code: r.error?.code, subcode: r.error?.error_subcode },
      "could not hand the conversation to the Page Inbox (pass_thread_control)",
    );
    return false;
  }
}
