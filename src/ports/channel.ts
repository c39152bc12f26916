import type { FastifyInstance } from "fastify";
import type { ChannelCapabilities } from "./capabilities.js";
import type { ChannelId, InboundEvent } from "./message.js";
import type { SendJob, SendOutcome } from "./queue.js";

/** What adapters hand their events to: resolves once the events are durably recorded. */
export interface Intake {
  accept(events: InboundEvent[]): Promise<void>;
}

export interface ChannelHealth {
  ok: boolean;
  /** Why not, in words an operator can act on ("the Page token must be renewed"). */
  reason?: string;
  /** When not ok: still connecting (`starting`), out of reach for now, or `down` until someone acts (default). */
  state?: "starting" | "unreachable" | "down";
}

/**
 * Whether a new request gets its own place in the operators' group (`post`), or is listed in
 * a notice standing for a burst of them (a flood: the request is still created).
 */
export type EscalationAdmission = { post: true } | { post: false; notice: string };

/**
 * One platform. Adapters are the only code that knows a platform's payloads, signatures,
 * send API and limits (DESIGN.md); the rest of the bot sees this interface.
 */
export interface ChannelAdapter {
  readonly id: ChannelId;
  /** Its name as operators read it ("Zalo", "Web"): topic names, cards, the console. */
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  /** Register the webhook routes (inside an encapsulated fastify plugin). */
  routes?(app: FastifyInstance, intake: Intake): void | Promise<void>;
  /** Deliver one rendered message. Never throws for platform errors: it classifies them. */
  send(job: SendJob): Promise<SendOutcome>;
  /**
   * The user's name as the platform knows it, looked up when a person needs it (a request
   * posted to operators), cached; never on the way of an ordinary message.
   */
  displayName?(userId: string): Promise<string | undefined>;
  /** Show "typing…" while a reply is prepared, where the platform has it. */
  typing?(userId: string, meta?: Record<string, string>): Promise<void>;
  /**
   * The engine has read this event (Messenger's `mark_seen`). Called without waiting for it,
   * outside the conversation's critical section; failures are the adapter's to swallow.
   */
  seen?(event: InboundEvent): void;
  /**
   * Anyone can open conversations here without a platform account (the web live chat), so a
   * flood is cheap: this channel's posts in the operators' group give way to other channels'.
   */
  readonly anonymous?: boolean;
  /** Decide how a new request of `userId` reaches operators (flood limits); absent: always `post`. */
  admitEscalation?(userId: string, requestId: string): Promise<EscalationAdmission>;
  /**
   * Where to fetch an attachment of this platform that is not a plain link (Telegram's
   * `getFile`): the URL and the headers to use. Absent, or undefined: its `url` is fetched.
   */
  mediaSource?(attachment: import("./message.js").Attachment): Promise<import("./media.js").MediaSource | undefined>;
  /** Start background work (polling) once the server is up. */
  start?(intake: Intake): Promise<void>;
  stop?(): Promise<void>;
  health(): ChannelHealth;
}

/** What an adapter may use from the rest of the app. */
export interface ChannelDeps {
  log: import("pino").Logger;
  /** Shared small values (tokens, cached profiles, long callback payloads): Redis when scaled out. */
  kv: import("keyv").Keyv;
  /** A lock across every process of the deployment (Redis) or this one (embedded). */
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  /** Messages to every process of the deployment (live frames to sockets held elsewhere). */
  bus: import("./backend.js").Bus;
  /** The media store: files to upload to the platform, signed links to them. */
  media?: import("./media.js").MediaPort;
}
