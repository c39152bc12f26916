import { Writable } from "node:stream";
import { Keyv } from "keyv";
import { MessengerChannel, type MessengerOptions } from "../../adapters/messenger/channel.js";
import { signatureFor } from "../../adapters/messenger/verify.js";
import { createLogger } from "../../src/config/log.js";
import type { Content } from "../../src/content/types.js";
import { LocalBus } from "../../src/store/bus/local.js";
import { FakePlatform, type Recorded, type Reply, waitFor } from "../helpers/fake-platform.js";
import { type Harness, type HarnessOptions, harness } from "../helpers/harness.js";

export const SECRET = "FAKE_SECRET";
export const TOKEN = "fake-page-token-0123456789";
export const VERIFY = "verify-me-please";
export const APP_ID = "7777777777";
export const PAGE = "1895382890692545";
export const PAGE_INBOX = 263902037430900;
export const SEND_PATH = "/v21.0/me/messages";

/**
 * Conversation routing as the local Graph API plays it (notes/messenger.md §7): one owner per
 * user's thread (this app unless a test says otherwise). A message to a thread another app
 * owns is refused as Meta refuses it (10/2018300 "another app is controlling this thread
 * now"); take_thread_control makes this app the owner (unless `allowTake` is off: then Meta's
 * permission refusal); pass_thread_control hands it to `target_app_id`.
 */
export interface Routing {
  owner: Map<string, string>;
  allowTake: boolean;
}

export const THREAD_CONTROLLED: Reply = {
  status: 400,
  body: {
    error: {
      message: "(#10) Message failed to send because another app is controlling this thread now.",
      type: "OAuthException",
      code: 10,
      error_subcode: 2018300,
      fbtrace_id: "AbCdEfG123",
    },
  },
};

function routing(fake: FakePlatform): Routing {
  const r: Routing = { owner: new Map(), allowTake: true };
  const psid = (q: Recorded) => (q.body as { recipient?: { id?: string } }).recipient?.id ?? "";
  fake.on((q) => {
    if (q.path === "/v21.0/me/take_thread_control") {
      if (!r.allowTake)
        return {
          status: 400,
          body: { error: { message: "(#10) Application does not have permission for this action", code: 10 } },
        };
      r.owner.set(psid(q), APP_ID);
      return { body: { success: true } };
    }
    if (q.path === "/v21.0/me/pass_thread_control") {
      r.owner.set(psid(q), String((q.body as { target_app_id?: unknown }).target_app_id));
      return { body: { success: true } };
    }
    if (q.path === SEND_PATH && (q.body as { message?: unknown }).message !== undefined) {
      const owner = r.owner.get(psid(q)) ?? APP_ID;
      if (owner !== APP_ID) return THREAD_CONTROLLED;
    }
    return undefined;
  });
  return r;
}

export interface Rig {
  fake: FakePlatform;
  /** Who owns each thread on the local Graph API (conversation routing). */
  routing: Routing;
  adapter: MessengerChannel;
  h: Harness;
  /** What the adapter logged. */
  logs: string[];
  /** POST a webhook body (string: exact bytes) signed with the app secret unless `signature` is given. */
  post(body: string | object, signature?: string | null): Promise<{ statusCode: number; body: string }>;
  /** Send API calls that carried a message, for one user. */
  sent(user?: string): Recorded[];
  /** Wait until every recorded event is processed and every queued send is done. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The real app on in-memory SQLite with the Messenger adapter, against a fake Graph API. */
export async function rig(
  opts: {
    appId?: string | null;
    fake?: (f: FakePlatform) => void;
    adapter?: Partial<MessengerOptions>;
    content?: Content;
    /** A recording operators' side (its jobs in `h.ops.jobs`). */
    operators?: boolean;
    /** Extra routes (the operator API) and environment, passed to the harness. */
    plugins?: HarnessOptions["plugins"];
    env?: Record<string, string>;
    dataDir?: string;
  } = {},
): Promise<Rig> {
  const fake = new FakePlatform();
  const threads = routing(fake);
  opts.fake?.(fake);
  await fake.start((r) =>
    r.path === SEND_PATH ? { status: 200, body: { recipient_id: "x", message_id: `m_${r.at}` } } : { body: {} },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const appId = opts.appId === null ? undefined : (opts.appId ?? APP_ID);
  // The app's content and matcher, as the composition root hands them to the channel (read at use).
  let app: Harness | undefined;
  const adapter = new MessengerChannel({
    pageAccessToken: TOKEN,
    appSecret: SECRET,
    verifyToken: VERIFY,
    appId,
    graphUrl: `${fake.url}/v21.0`,
    deps: { log: createLogger("debug", sink), kv: new Keyv(), withLock: (_n, _t, fn) => fn(), bus: new LocalBus() },
    probe: false,
    content: () => {
      if (!app) throw new Error("the app is not built yet");
      return app.hotro.content;
    },
    match: (text) => {
      if (!app) throw new Error("the app is not built yet");
      return app.hotro.matcher.match(text);
    },
    ...opts.adapter,
  });
  const h = await harness({
    channels: [adapter],
    ...(opts.content ? { content: opts.content } : {}),
    ...(opts.operators ? { operators: true } : {}),
    ...(opts.plugins ? { plugins: opts.plugins } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
  });
  app = h;
  const sent = (user?: string) =>
    fake
      .to(SEND_PATH)
      .filter((r) => (r.body as { message?: unknown }).message !== undefined)
      .filter((r) => user === undefined || (r.body as { recipient: { id: string } }).recipient.id === user);
  return {
    fake,
    routing: threads,
    adapter,
    h,
    logs,
    sent,
    async post(body, signature) {
      const raw = typeof body === "string" ? body : JSON.stringify(body);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (signature !== null) headers["x-hub-signature-256"] = signature ?? signatureFor(raw, SECRET);
      const res = await h.hotro.app.inject({ method: "POST", url: "/webhooks/messenger", headers, payload: raw });
      return { statusCode: res.statusCode, body: res.body };
    },
    async idle() {
      const b = h.hotro.backend;
      await waitFor(async () => (await b.inbox.pending()) === 0 && (await b.outbox.pending()) === 0, 10_000, "idle");
    },
    async close() {
      await h.close();
      await fake.stop();
    },
  };
}

let seq = 0;

/** One user message as Meta delivers it. */
export function userMessage(user: string, text: string, opts: { mid?: string; ts?: number; page?: string } = {}) {
  return {
    sender: { id: user },
    recipient: { id: opts.page ?? PAGE },
    timestamp: opts.ts ?? Date.now(),
    message: { mid: opts.mid ?? `m_${user}_${++seq}_${Date.now()}`, text },
  };
}

/** One messaging item from `user` to the Page around `extra` (a `postback`, a `referral`, a `message`). */
export const item = (user: string, extra: object) => ({
  sender: { id: user },
  recipient: { id: PAGE },
  timestamp: Date.now(),
  ...extra,
});

export function delivery(...entries: object[][]) {
  return {
    object: "page",
    entry: entries.map((messaging, i) => ({ id: PAGE, time: Date.now() + i, messaging })),
  };
}

/** A Graph API error reply. */
export function graphError(
  code: number,
  subcode?: number,
  extra: { status?: number; transient?: boolean } = {},
): Reply {
  return {
    status: extra.status ?? (code === 190 ? 401 : 400),
    body: {
      error: {
        message: `(#${code}) fake error`,
        type: "OAuthException",
        code,
        ...(subcode ? { error_subcode: subcode } : {}),
        ...(extra.transient !== undefined ? { is_transient: extra.transient } : {}),
        fbtrace_id: "AbCdEfG123",
      },
    },
  };
}

/** Send API calls carrying a message to `user` (not sender actions: typing_on, mark_seen). */
export const isSendTo = (user: string) => (r: Recorded) =>
  r.path === SEND_PATH &&
  (r.body as { recipient?: { id?: string } }).recipient?.id === user &&
  (r.body as { message?: unknown }).message !== undefined;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
