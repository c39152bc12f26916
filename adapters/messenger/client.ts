import { Agent, FormData, request } from "undici";
import type { GraphError } from "./types.js";
import { appSecretProof } from "./verify.js";

export interface GraphClientOptions {
  /** MESSENGER_GRAPH_URL, e.g. https://graph.facebook.com/v21.0 */
  baseUrl: string;
  accessToken: string;
  /** When given, every call carries `appsecret_proof` (required if the app enables "Require App Secret"). */
  appSecret?: string | undefined;
  /** Whole-call limit (connect, headers, body). Meta fetches image URLs within 10 s. */
  timeoutMs?: number;
}

export interface CallOptions {
  query?: Record<string, string>;
  /** Shorter limit for this call (lookups made while a webhook waits for its answer). */
  timeoutMs?: number;
}

export type GraphResult =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status?: number; error?: GraphError; network?: string; retryAfterMs?: number };

/**
 * The Graph API over one keep-alive connection pool (undici). The access token travels in
 * the query string, as Meta documents, so neither the URL nor an error message that could
 * contain it is ever logged or returned: errors are reduced to code, subcode and message.
 */
export class GraphClient {
  private readonly agent: Agent;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly proof: string | undefined;

  constructor(private readonly options: GraphClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.proof = options.appSecret ? appSecretProof(options.accessToken, options.appSecret) : undefined;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 300_000,
      connections: 32,
      connect: { timeout: 5_000 },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  post(path: string, body: unknown, opts: CallOptions = {}): Promise<GraphResult> {
    return this.call("POST", path, { ...opts, body });
  }

  /** A multipart POST (the Attachment Upload API's `filedata`): fields, then one file. */
  upload(
    path: string,
    fields: Record<string, string>,
    file: { field: string; name: string; type: string; bytes: Buffer },
    opts: CallOptions = {},
  ): Promise<GraphResult> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
    return this.call("POST", path, { ...opts, form });
  }

  get(path: string, opts: CallOptions = {}): Promise<GraphResult> {
    return this.call("GET", path, opts);
  }

  async call(
    method: "GET" | "POST" | "DELETE",
    path: string,
    opts: CallOptions & { body?: unknown; form?: FormData } = {},
  ): Promise<GraphResult> {
    const { body, form } = opts;
    const params = new URLSearchParams(opts.query ?? {});
    params.set("access_token", this.options.accessToken);
    if (this.proof) params.set("appsecret_proof", this.proof);
    const url = `${this.base}${path.startsWith("/") ? path : `/${path}`}?${params}`;
    try {
      const res = await request(url, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // undici writes the multipart boundary and content type itself.
        ...(form ? { body: form } : {}),
        dispatcher: this.agent,
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        // not JSON (a proxy's HTML page): keep nothing of it
        parsed = undefined;
      }
      if (res.statusCode >= 200 && res.statusCode < 300 && !hasError(parsed)) {
        return { ok: true, status: res.statusCode, body: parsed };
      }
      const result: GraphResult = { ok: false, status: res.statusCode };
      if (hasError(parsed)) result.error = pickError(parsed.error);
      const retryAfter = retryAfterMs(res.headers["retry-after"]);
      if (retryAfter !== undefined) result.retryAfterMs = retryAfter;
      return result;
    } catch (err) {
      return { ok: false, network: this.redact(describe(err)) };
    }
  }

  /** Remove the token (raw or URL-encoded) from any text before it leaves this class. */
  redact(text: string): string {
    let t = text;
    for (const secret of [this.options.accessToken, encodeURIComponent(this.options.accessToken), this.proof]) {
      if (secret) t = t.split(secret).join("[redacted]");
    }
    return t;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function hasError(v: unknown): v is { error: Record<string, unknown> } {
  return typeof v === "object" && v !== null && typeof (v as { error?: unknown }).error === "object";
}

function pickError(e: Record<string, unknown>): GraphError {
  const out: GraphError = {};
  if (typeof e.message === "string") out.message = e.message.slice(0, 300);
  if (typeof e.type === "string") out.type = e.type;
  if (typeof e.code === "number") out.code = e.code;
  if (typeof e.error_subcode === "number") out.error_subcode = e.error_subcode;
  if (typeof e.is_transient === "boolean") out.is_transient = e.is_transient;
  if (typeof e.fbtrace_id === "string") out.fbtrace_id = e.fbtrace_id;
  return out;
}

function retryAfterMs(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 10 * 60_000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.min(at - Date.now(), 10 * 60_000));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === "string" ? ` ${code}` : ""}: ${err.message}`;
  }
  return String(err);
}
