import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { ControlEvent } from "../ports/control.js";
import type { Erasure, HeldData, PeopleStore, Person, PersonalDataHolder } from "../ports/people.js";
import { convOf } from "../privacy/anonymise.js";
import type { AuditTrail } from "./audit.js";

export interface PersonExport extends HeldData {
  person: Person;
  exportedAt: string;
  exportedBy: string;
  /** What other holders (media files, the operators' group) keep, by holder. */
  elsewhere: Record<string, unknown>;
}

export interface PersonErasure extends Erasure {
  /** What each other holder removed (files, group messages), or why it could not. */
  elsewhere: Record<string, number | string>;
}

/**
 * A person's right to see and to delete their data, for leads and admins: the export
 * gathers what every store keeps about them, the erasure removes it everywhere. Both are
 * written to the audit trail before the answer is given. Nobody erases on the user's word
 * alone: the engine only opens a request, and a person runs this after checking who asks.
 */
export class People {
  /** Holders outside the backend, added as the server builds them (the operators' group, media). */
  readonly holders: PersonalDataHolder[] = [];

  constructor(
    private readonly store: PeopleStore,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Records a control event in the person's conversation (Runtime.control). */
    private readonly control?: (conv: string, event: ControlEvent, key: string) => Promise<boolean>,
  ) {}

  async export(p: Person, by: string): Promise<PersonExport> {
    const held = await this.store.collect(p);
    const elsewhere: Record<string, unknown> = {};
    for (const h of this.holders) if (h.collect) elsewhere[h.name] = await h.collect(p, held);
    await this.audit.record(
      by,
      "export_person",
      convOf(p),
      { requests: held.requests.length, values: held.values.length, session: held.session !== undefined },
      { strict: true },
    );
    return { person: p, exportedAt: new Date(this.now()).toISOString(), exportedBy: by, ...held, elsewhere };
  }

  async erase(p: Person, by: string): Promise<PersonErasure> {
    // Read first: holders outside the store find their part (a topic, a file) through the requests.
    const held = await this.store.collect(p);
    const elsewhere: Record<string, number | string> = {};
    for (const h of this.holders) {
      try {
        elsewhere[h.name] = await h.erase(p, held);
      } catch (err) {
        elsewhere[h.name] = `failed: ${err instanceof Error ? err.message : String(err)}`;
        this.log.error({ holder: h.name, err: elsewhere[h.name] }, "erasure: a holder could not erase");
      }
    }
    const done = await this.store.erase(p);
    // A turn under way right now could still write its session or transcript back: the
    // conversation's own lane erases once more after it (the event carries no personal data).
    await this.control?.(convOf(p), { kind: "forget" }, `forget:${convOf(p)}:${randomUUID()}`);
    const failed = Object.entries(elsewhere).filter(([, v]) => typeof v === "string");
    await this.audit.record(
      by,
      "erase_person",
      convOf(p),
      {
        requests: done.requests.join(","),
        transcriptLines: done.transcriptLines,
        values: done.values,
        session: done.session,
        ...(failed.length ? { incomplete: failed.map(([k]) => k).join(",") } : {}),
      },
      { strict: true },
    );
    return { ...done, elsewhere };
  }
}
