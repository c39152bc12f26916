import { Agent, FormData, request } from "undici";
import { parseJsonKeepingBigInts } from "./inbound.js";
import type { ZaloApiResponse, ZaloSendBody, ZaloTokenResponse } from "./types.js";

/** The transport failed (connection, timeout): always worth retrying later. */
export class ZaloNetworkError extends Error {
  override name = "ZaloNetworkError";
}

export interface HttpResult<T> {
  status: number;
  /** The parsed body, when it is JSON (ids kept as strings). */
  json?: T;
  /** From a `Retry-After` header, when the server sent one. */
  retryAfterMs?: number;
}

export interface ZaloClientOptions {
  apiUrl: string;
  oauthUrl: string;
  /** Per request: connect, then headers, then body (default 10 s each). */
  timeoutMs?: number;
}

/**
 * The few Zalo endpoints the adapter calls, over one keep-alive undici Agent. Tokens go in
 * headers or form bodies only, never in a URL, and no method logs: errors carry the endpoint
 * and the cause, never a header or a body.
 */
export class ZaloClient {
  private readonly agent: Agent;
  private readonly api: string;
  private readonly oauth: string;

  constructor(o: ZaloClientOptions) {
    const t = o.timeoutMs ?? 10_000;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connections: 32,
      connect: { timeout: Math.min(t, 5_000) },
      headersTimeout: t,
      bodyTimeout: t,
    });
    this.api = o.apiUrl.replace(/\/+$/, "");
    this.oauth = o.oauthUrl.replace(/\/+$/, "");
  }

  /** `POST {api}/v3.0/oa/message/cs` (a consultation message: the reply to a user). */
  sendCs(accessToken: string, body: ZaloSendBody): Promise<HttpResult<ZaloApiResponse>> {
    return this.call(`${this.api}/v3.0/oa/message/cs`, "send", {
      method: "POST",
      headers: { access_token: accessToken, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /**
   * `POST {api}/v2.0/oa/upload/{image|gif|file}`, multipart with the file in `file`: answers
   * `data.attachment_id` (image, gif) or `data.token` (file), which a message then refers to.
   */
  upload(
    accessToken: string,
    kind: "image" | "gif" | "file",
    file: { name: string; type: string; bytes: Buffer },
  ): Promise<HttpResult<ZaloApiResponse<{ attachment_id?: string; token?: string }>>> {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
    return this.call(`${this.api}/v2.0/oa/upload/${kind}`, "upload", {
      method: "POST",
      headers: { access_token: accessToken },
      body: form,
    });
  }

  /** `GET {api}/v3.0/oa/user/detail?data={"user_id":"…"}`: display name and follower status. */
  userDetail(
    accessToken: string,
    userId: string,
  ): Promise<HttpResult<ZaloApiResponse<{ display_name?: string; user_alias?: string }>>> {
    const data = encodeURIComponent(JSON.stringify({ user_id: userId }));
    return this.call(`${this.api}/v3.0/oa/user/detail?data=${data}`, "user detail", {
      method: "GET",
      headers: { access_token: accessToken },
    });
  }

  /**
   * `POST {oauth}/v4/oa/access_token`, form-encoded, the App Secret in a `secret_key` header:
   * `grant_type=refresh_token` (refresh) or `authorization_code` (first authorisation).
   */
  oauthToken(appSecret: string, form: Record<string, string>): Promise<HttpResult<ZaloTokenResponse>> {
    return this.call(`${this.oauth}/v4/oa/access_token`, "token", {
      method: "POST",
      headers: { secret_key: appSecret, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
  }

  private async call<T>(
    url: string,
    what: string,
    init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string | FormData },
  ): Promise<HttpResult<T>> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, { ...init, dispatcher: this.agent });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new ZaloNetworkError(`Zalo ${what} request failed: ${e.code ?? ""} ${e.message ?? String(err)}`.trim());
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new ZaloNetworkError(`Zalo ${what} response was cut off: ${e.code ?? ""} ${e.message ?? ""}`.trim());
    }
    const out: HttpResult<T> = { status: res.statusCode };
    const ra = res.headers["retry-after"];
    const seconds = Number(Array.isArray(ra) ? ra[0] : ra);
    if (Number.isFinite(seconds) && seconds > 0) out.retryAfterMs = seconds * 1000;
    try {
      const j = parseJsonKeepingBigInts(text);
      if (j && typeof j === "object") out.json = j as T;
    } catch {
      // not JSON (a proxy's error page): the status says enough
    }
    return out;
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
