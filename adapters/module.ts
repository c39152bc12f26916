import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Content } from "../src/content/types.js";
import type { ChannelAdapter, ChannelDeps } from "../src/ports/channel.js";
import type { ChannelId } from "../src/ports/message.js";
import type { OperatorsPort } from "../src/ports/operators.js";
import type { RequestStore } from "../src/ports/requests.js";

/** What the matcher made of some words (a Page comment): the intent, its zone, their language. */
export interface Matched {
  intent: string;
  zone: "answer" | "clarify" | "fallback" | string;
  lang?: "vi" | "en" | undefined;
}

/** What a channel's factory gets: the shared services, and the content (texts, limits). */
export interface ModuleDeps extends ChannelDeps {
  /** The current content pack (read at each use: a reload replaces it). */
  content: Content;
  /** The current matcher, for words that reach a channel outside a conversation (Page comments). */
  match?(text: string): Matched;
}

/**
 * One channel as the composition root sees it: its id, its own environment variables, when
 * it is off, and how to build it. Every channel folder's `index.ts` exports one; the
 * registry lists them, and enabling, env validation, routes, readiness and the names
 * operators read all derive from that list.
 */
export interface ChannelModule<S extends z.ZodRawShape = z.ZodRawShape> {
  readonly id: ChannelId;
  /** Its variables (zod), parsed together with the core ones at start-up. */
  readonly env: S;
  /** Why the channel is off with this environment (a sentence naming what to set), or undefined. */
  off(env: z.infer<z.ZodObject<S>>): string | undefined;
  create(env: z.infer<z.ZodObject<S>>, deps: ModuleDeps): ChannelAdapter;
  /**
   * A second surface of the operators' desk this channel can host (Telegram: a group), when
   * the environment asks for one; `adapter` is what `create` built.
   */
  desk?(env: z.infer<z.ZodObject<S>>, adapter: ChannelAdapter, deps: DeskDeps): OperatorsPort | undefined;
}

/** What a desk surface needs from the app (the server's AppDeps has all of it). */
export interface DeskDeps {
  backend: { requests: RequestStore; kv: Keyv };
  content: Content;
  log: Logger;
  channels: ReadonlyMap<ChannelId, ChannelAdapter>;
  runtime: { acceptOps(update: unknown, key: string): Promise<void> };
  /** The media store (files users send are posted from it, files operators post are kept in it). */
  media?: import("../src/ports/media.js").MediaPort;
}

/** Which variables of `names` are unset: the reason a channel is off. */
export function missing(env: Record<string, unknown>, names: string[]): string | undefined {
  const unset = names.filter((n) => !env[n]);
  return unset.length ? `set ${unset.join(", ")} to enable it` : undefined;
}
