import { createHash } from "node:crypto";
import type { Keyv } from "keyv";
import type { Logger } from "pino";
import { shorten } from "../../src/render/render.js";
import type { GraphClient } from "./client.js";

/** Meta's limit on a persona's name. */
export const MAX_PERSONA_NAME = 50;
/** Kept a month (Meta keeps personas; re-creating one after that is one call). */
const PERSONA_TTL_MS = 30 * 24 * 3_600_000;
/** After a refusal, names go as text for a while before personas are tried again. */
const PERSONA_MISS_TTL_MS = 3_600_000;

/**
 * One Messenger persona per operator (`POST /me/personas {name, profile_picture_url}` → id),
 * created the first time they answer and kept in the shared store, so users see who wrote
 * (name and picture above the message) and can tell a person from the bot. When Meta refuses
 * (a Page without the feature, a picture it cannot fetch), `id` answers undefined and the
 * name goes above the text instead.
 */
export class Personas {
  constructor(
    private readonly o: {
      client: GraphClient;
      kv: Keyv;
      log: Logger;
      pictureUrl: string;
      withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
    },
  ) {}

  private key(name: string): string {
    return `messenger:persona:${createHash("sha256").update(name).digest("base64url").slice(0, 22)}`;
  }

  async id(operator: string): Promise<string | undefined> {
    const name = shorten(operator.trim() || "?", MAX_PERSONA_NAME);
    const key = this.key(name);
    const cached = (await this.o.kv.get(key).catch(() => undefined)) as string | undefined;
    if (cached !== undefined) return cached || undefined;
    // One process creates it; the others wait and read what it stored.
    return this.o.withLock(key, 15_000, async () => {
      const again = (await this.o.kv.get(key).catch(() => undefined)) as string | undefined;
      if (again !== undefined) return again || undefined;
      const r = await this.o.client.post(
        "/me/personas",
        { name, profile_picture_url: this.o.pictureUrl },
        { timeoutMs: 5_000 },
      );
      const id = r.ok ? (r.body as { id?: unknown }).id : undefined;
      if (typeof id === "string" || typeof id === "number") {
        await this.o.kv.set(key, String(id), PERSONA_TTL_MS).catch(() => undefined);
        this.o.log.info({ persona: String(id) }, "Messenger persona created for an operator");
        return String(id);
      }
      this.o.log.warn(
        { code: r.ok ? undefined : r.error?.code, subcode: r.ok ? undefined : r.error?.error_subcode },
        "Messenger refused to create a persona: operators' names go above their text for now",
      );
      await this.o.kv.set(key, "", PERSONA_MISS_TTL_MS).catch(() => undefined);
      return undefined;
    });
  }
}
