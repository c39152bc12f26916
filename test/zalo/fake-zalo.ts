import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { ZaloChannel, type ZaloOptions } from "../../adapters/zalo/channel.js";
import { zaloMac } from "../../adapters/zalo/verify.js";
import { createLogger } from "../../src/config/log.js";
import type { ChannelDeps } from "../../src/ports/channel.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { FakePlatform, type Recorded } from "../helpers/fake-platform.js";

/** Ids past 2^53, as Zalo sends them (19 digits). */
export const APP_ID = "3608465249409039671";
export const OA_ID = "3886132808788086451";
export const USER = "2468458835291979221";
export const ADMIN = "4267886274574868951";
export const APP_SECRET = "app-secret-XYZ";
export const OA_SECRET = "oa-secret-key-123";
export const ENV_REFRESH = "refresh-from-env-0";

/**
 * A Zalo stand-in on two local servers: openapi.zalo.me (send, user detail) and
 * oauth.zaloapp.com (token refresh and code exchange). Refresh tokens are single-use and
 * rotate like Zalo's; the send endpoint rejects unknown access tokens with -216.
 */
export class FakeZalo {
  readonly api = new FakePlatform();
  readonly oauth = new FakePlatform();
  readonly validAccess = new Set<string>();
  readonly validRefresh = new Set<string>([ENV_REFRESH]);
  /** Authorisation codes issued by "the consent page": code → PKCE challenge. */
  readonly codes = new Map<string, string>();
  readonly names = new Map<string, string>();
  refreshDelayMs = 0;
  /** The message ids handed out for accepted sends (19 digits). */
  readonly messageIds: string[] = [];
  readonly accepted: Recorded[] = [];
  /** Files uploaded to `/v2.0/oa/upload/*`, in order (the id handed out is `z<kind><n>`). */
  readonly uploads: { kind: string; filename: string; bytes: Buffer }[] = [];
  /** Files Zalo's CDN serves at `/cdn/<name>` (links in users' attachments). */
  readonly cdn = new Map<string, Buffer>();
  private issued = 0;
  private sent = 0;

  async start(): Promise<this> {
    await this.oauth.start(async (r) => {
      if (r.path !== "/v4/oa/access_token") return undefined;
      if (r.headers.secret_key !== APP_SECRET) return { body: { error: -14002, error_name: "Invalid app secret" } };
      const f = r.body as Record<string, string>;
      if (f.app_id !== APP_ID) return { body: { error: -14001, error_name: "Invalid app_id" } };
      if (f.grant_type === "refresh_token") {
        if (this.refreshDelayMs) await new Promise((d) => setTimeout(d, this.refreshDelayMs));
        if (!f.refresh_token || !this.validRefresh.delete(f.refresh_token))
          return { body: { error: -14014, error_name: "Invalid refresh token", message: "refresh token is invalid" } };
        return { body: this.issue() };
      }
      if (f.grant_type === "authorization_code") {
        const challenge = f.code ? this.codes.get(f.code) : undefined;
        const got = createHash("sha256")
          .update(f.code_verifier ?? "", "ascii")
          .digest("base64url");
        if (!challenge || challenge !== got) return { body: { error: -14019, error_name: "Invalid code" } };
        if (f.code) this.codes.delete(f.code);
        return { body: this.issue() };
      }
      return { body: { error: -14000, error_name: "bad grant_type" } };
    });
    await this.api.start((r) => {
      const token = String(r.headers.access_token ?? "");
      if (r.path === "/v3.0/oa/message/cs") {
        if (!this.validAccess.has(token)) return { body: { error: -216, message: "Access token is invalid" } };
        this.sent++;
        this.accepted.push(r);
        const body = r.body as { recipient?: { user_id?: string } };
        // message_id past 2^53 and written as a bare number: must not be rounded.
        const mid = `90000000000000${String(this.sent).padStart(5, "0")}`;
        this.messageIds.push(mid);
        return {
          body: `{"data":{"message_id":${mid},"user_id":"${body.recipient?.user_id}","sent_time":"1626926349402"},"error":0,"message":"Success"}`,
        };
      }
      const upload = r.path.match(/^\/v2\.0\/oa\/upload\/(image|gif|file)$/)?.[1];
      if (upload) {
        // Zalo's upload endpoints: multipart with the file in `file`, the OA token in a header.
        if (!this.validAccess.has(token)) return { body: { error: -216, message: "Access token is invalid" } };
        const file = r.form?.get("file");
        if (!file || !("bytes" in file)) return { body: { error: -201, message: "file is required" } };
        const limit = upload === "image" ? 1024 * 1024 : 5 * 1024 * 1024;
        if (file.bytes.length > limit) return { body: { error: -210, message: "file size exceeds the limit" } };
        this.uploads.push({ kind: upload, filename: file.filename, bytes: file.bytes });
        const id = `z${upload}${this.uploads.length}`;
        return {
          body: { error: 0, message: "Success", data: upload === "file" ? { token: id } : { attachment_id: id } },
        };
      }
      const cdn = r.path.match(/^\/cdn\/(.+)$/)?.[1];
      if (cdn) {
        const bytes = this.cdn.get(cdn);
        return bytes ? { body: bytes } : { status: 404, body: "gone" };
      }
      if (r.path === "/v3.0/oa/user/detail") {
        if (!this.validAccess.has(token)) return { body: { error: -216, message: "Access token is invalid" } };
        const data = JSON.parse(r.query.get("data") ?? "{}") as { user_id?: string };
        const name = data.user_id ? this.names.get(data.user_id) : undefined;
        if (!name) return { body: { error: -201, message: "user not found" } };
        return { body: { error: 0, message: "Success", data: { user_id: data.user_id, display_name: name } } };
      }
      return undefined;
    });
    return this;
  }

  /** A fresh pair (expires_in as a string, like Zalo). */
  issue(): { access_token: string; refresh_token: string; expires_in: string } {
    this.issued++;
    const access = `access-${this.issued}`;
    const refresh = `refresh-${this.issued}`;
    this.validAccess.add(access);
    this.validRefresh.add(refresh);
    return { access_token: access, refresh_token: refresh, expires_in: "90000" };
  }

  refreshes(): Recorded[] {
    return this.oauth
      .to("/v4/oa/access_token")
      .filter((r) => (r.body as Record<string, string>).grant_type === "refresh_token");
  }

  sends(user?: string): Recorded[] {
    return this.api
      .to("/v3.0/oa/message/cs")
      .filter((r) => !user || (r.body as { recipient?: { user_id?: string } }).recipient?.user_id === user);
  }

  /** Sends Zalo accepted (answered error 0). */
  delivered(user?: string): Recorded[] {
    return this.accepted.filter(
      (r) => !user || (r.body as { recipient?: { user_id?: string } }).recipient?.user_id === user,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([this.api.stop(), this.oauth.stop()]);
  }
}

export function options(z: FakeZalo, extra: Partial<ZaloOptions> = {}): ZaloOptions {
  return {
    appId: APP_ID,
    appSecret: APP_SECRET,
    oaSecretKey: OA_SECRET,
    refreshToken: ENV_REFRESH,
    apiUrl: z.api.url,
    oauthUrl: z.oauth.url,
    refreshTimer: false,
    rateLimitRetryMs: 20,
    ...extra,
  };
}

/** A logger whose lines are kept (for "one error line" and "no token in logs" checks). */
export function memoryLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  return { log: createLogger("debug", sink), lines };
}

/** Channel deps on their own in-memory SQLite (kv + the embedded lock). */
export function embeddedDeps(log: Logger): ChannelDeps & { close(): Promise<void> } {
  const b = embeddedBackend(":memory:", log, "HT");
  return { log, kv: b.kv, withLock: b.withLock, bus: b.bus, close: () => b.close() };
}

export function channel(z: FakeZalo, deps: ChannelDeps, extra: Partial<ZaloOptions> = {}): ZaloChannel {
  return new ZaloChannel(options(z, extra), deps);
}

/** A webhook body as Zalo would send it (ids as JSON strings) and its signature header. */
export function signed(
  body: Record<string, unknown>,
  secret = OA_SECRET,
): { payload: string; headers: Record<string, string> } {
  const payload = JSON.stringify({ app_id: APP_ID, timestamp: String(Date.now()), ...body });
  return { payload, headers: { "content-type": "application/json", "x-zevent-signature": sign(payload, secret) } };
}

export function sign(payload: string, secret = OA_SECRET): string {
  const j = JSON.parse(payload) as { app_id?: string; timestamp?: string | number };
  return `mac=${zaloMac(String(j.app_id), payload, String(j.timestamp), secret)}`;
}

let seq = 0;
/** A 19-digit-ish msg id, unique per call. */
export const msgId = () => `96d3cdf3af1504609${String(++seq).padStart(4, "0")}`;

export function userText(text: string, user = USER, id = msgId()): Record<string, unknown> {
  return {
    event_name: "user_send_text",
    sender: { id: user },
    recipient: { id: OA_ID },
    user_id_by_app: "552177279717587730",
    message: { text, msg_id: id },
  };
}

/** A `user_send_<type>` event: an attachment (with a caption) from `user`, as Zalo documents it. */
export function userAttachment(user: string, event: string, a: Record<string, unknown>): Record<string, unknown> {
  return {
    event_name: event,
    sender: { id: user },
    recipient: { id: OA_ID },
    user_id_by_app: "552177279717587730",
    message: { text: "ảnh lỗi đây ạ", msg_id: msgId(), attachments: [a] },
  };
}
