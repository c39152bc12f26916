import { randomUUID } from "node:crypto";
import type { Keyv } from "keyv";
import type { Content } from "../content/types.js";
import { Texts } from "../engine/template.js";
import type { RequestRecord } from "../ports/requests.js";
import type { Lang } from "../ports/vocabulary.js";

/** A canned reply: picked in the console's composer by typing `/` and its shortcut. */
export interface CannedReply {
  id: string;
  /** `chao`, `hotline`…: lower case letters, digits, `_`, `-`. */
  shortcut: string;
  /**
   * The words, with variables filled from the request and config when used: `{name}`,
   * `{request_id}`, `{title}`, `{channel}`, `{operator}`, and every variable flows can use
   * (`{hotline}`, `{email}`, `{website}`, `{brand}`, `{hours}`, `{next_open}`…).
   */
  text: string;
  updatedAt: number;
  by: string;
}

export const SHORTCUT = /^[a-z0-9_-]{1,32}$/;
const KEY = "desk:canned";

export class CannedError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
}

/** Canned replies, kept in the shared kv (every process sees an edit at once); leads edit them. */
export class CannedReplies {
  constructor(
    private readonly kv: Keyv,
    private readonly withLock: <T>(name: string, ttlMs: number, fn: () => Promise<T>) => Promise<T>,
    private readonly content: Content,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<CannedReply[]> {
    const all = ((await this.kv.get(KEY)) as CannedReply[] | undefined) ?? [];
    return [...all].sort((a, b) => a.shortcut.localeCompare(b.shortcut));
  }

  private change<T>(fn: (all: CannedReply[]) => T): Promise<T> {
    return this.withLock(KEY, 5_000, async () => {
      const all = ((await this.kv.get(KEY)) as CannedReply[] | undefined) ?? [];
      const out = fn(all);
      await this.kv.set(KEY, all);
      return out;
    });
  }

  private check(input: { shortcut: string; text: string }): { shortcut: string; text: string } {
    const shortcut = input.shortcut.trim().replace(/^\//, "").toLowerCase();
    const text = input.text.trim();
    if (!SHORTCUT.test(shortcut))
      throw new CannedError("a shortcut is 1–32 letters a–z, digits, _ or - (typed after /)", 400);
    if (!text || text.length > 4000) throw new CannedError("the text must have 1–4,000 characters", 400);
    return { shortcut, text };
  }

  add(input: { shortcut: string; text: string }, by: string): Promise<CannedReply> {
    const c = this.check(input);
    return this.change((all) => {
      if (all.some((x) => x.shortcut === c.shortcut))
        throw new CannedError(`the shortcut /${c.shortcut} is taken`, 409);
      const reply: CannedReply = { id: randomUUID(), ...c, updatedAt: this.now(), by };
      all.push(reply);
      return reply;
    });
  }

  update(id: string, input: { shortcut: string; text: string }, by: string): Promise<CannedReply> {
    const c = this.check(input);
    return this.change((all) => {
      const i = all.findIndex((x) => x.id === id);
      if (i < 0) throw new CannedError(`no canned reply ${id}`, 404);
      if (all.some((x) => x.shortcut === c.shortcut && x.id !== id))
        throw new CannedError(`the shortcut /${c.shortcut} is taken`, 409);
      const reply: CannedReply = { id, ...c, updatedAt: this.now(), by };
      all[i] = reply;
      return reply;
    });
  }

  remove(id: string): Promise<void> {
    return this.change((all) => {
      const i = all.findIndex((x) => x.id === id);
      if (i < 0) throw new CannedError(`no canned reply ${id}`, 404);
      all.splice(i, 1);
    });
  }

  /** A canned reply's words for one request, in the user's language where config text depends on it. */
  fill(text: string, r: RequestRecord, o: { operator: string; channelName: string; lang?: Lang }): string {
    const lang = o.lang ?? "vi";
    const texts = new Texts(this.content, lang, new Date(this.now()));
    return texts.fill(text, {
      name: r.displayName ?? (lang === "vi" ? "bạn" : "there"),
      request_id: r.id,
      title: r.title,
      channel: o.channelName,
      operator: o.operator,
    });
  }
}
