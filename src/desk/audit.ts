import type { Logger } from "pino";
import type { AuditAction, AuditEntry, AuditStore } from "../ports/audit.js";
import { type Verdict, verifyChain } from "../privacy/chain.js";

/**
 * The desk's audit trail (who read, wrote, exported or erased what). What operators do is
 * recorded after it happened; an export or an erasure is recorded before the answer leaves,
 * so a failure to record refuses it (`strict`) rather than leaving it unaccounted for.
 */
export class AuditTrail {
  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async record(
    actor: string,
    action: AuditAction,
    target?: string,
    detail?: Record<string, string | number | boolean>,
    opts: { strict?: boolean } = {},
  ): Promise<AuditEntry | undefined> {
    try {
      return await this.store.append({
        at: this.now(),
        actor,
        action,
        ...(target ? { target } : {}),
        ...(detail ? { detail } : {}),
      });
    } catch (err) {
      if (opts.strict) throw err;
      this.log.error({ err: err instanceof Error ? err.message : String(err), action, actor }, "audit: not recorded");
      return undefined;
    }
  }

  list(q: { afterSeq?: number; limit?: number }): Promise<AuditEntry[]> {
    return this.store.list(q);
  }

  verify(): Promise<Verdict> {
    return verifyChain(this.store);
  }
}
