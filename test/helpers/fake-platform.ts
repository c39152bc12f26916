import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake platform received. */
export interface Recorded {
  method: string;
  /** Path and query, as received. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** Raw body text. */
  raw: string;
  /** Parsed JSON body, or form fields for urlencoded bodies, when they parse. */
  body: unknown;
  /** When the request arrived (ms). */
  at: number;
  /** The body's bytes (uploads are binary). */
  bytes: Buffer;
  /** A multipart body's parts, parsed as a platform would (`form.get("document")`). */
  form?: Map<string, FormPart>;
}

/** One part of a multipart/form-data body: a field's value, or a file with its name, type and bytes. */
export type FormPart = { value: string } | { filename: string; type: string; bytes: Buffer };

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** JSON, text, or bytes (a file download). */
  body?: unknown;
  /** Wait before answering (timeouts). */
  delayMs?: number;
}

export type Route = (req: Recorded) => Reply | undefined | Promise<Reply | undefined>;

/**
 * A local HTTP server that stands in for a platform's API (Telegram Bot API, Graph API,
 * Zalo OpenAPI): it records every request and answers from the routes a test gives it,
 * first match wins, so the code under test uses its real HTTP client against real HTTP.
 */
export class FakePlatform {
  readonly requests: Recorded[] = [];
  private routes: Route[] = [];
  private server?: Server;
  url = "";

  /** Answer requests with this route before the ones given earlier. */
  on(route: Route): this {
    this.routes.unshift(route);
    return this;
  }

  /** Answer the next `n` matching requests with `reply`, then fall through. */
  times(n: number, match: (r: Recorded) => boolean, reply: Reply): this {
    let left = n;
    return this.on((r) => {
      if (left > 0 && match(r)) {
        left--;
        return reply;
      }
      return undefined;
    });
  }

  async start(fallback: Route = () => ({ status: 200, body: {} })): Promise<this> {
    this.routes.push(fallback);
    this.server = createServer(async (req, res) => {
      // When it arrived, before its body is read: gaps between requests measure the client's waits.
      const at = Date.now();
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString("utf8");
      const u = new URL(req.url ?? "/", "http://local");
      let body: unknown = raw;
      const type = String(req.headers["content-type"] ?? "");
      try {
        if (type.includes("json")) body = JSON.parse(raw);
        else if (type.includes("urlencoded")) body = Object.fromEntries(new URLSearchParams(raw));
      } catch {
        // keep the raw text
      }
      const form = type.includes("multipart/form-data") ? parseMultipart(bytes, type) : undefined;
      const rec: Recorded = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        raw,
        body,
        at,
        bytes,
        ...(form ? { form } : {}),
      };
      this.requests.push(rec);
      let reply: Reply | undefined;
      for (const route of this.routes) {
        reply = await route(rec);
        if (reply) break;
      }
      const r = reply ?? { status: 404, body: { error: "no route" } };
      if (r.delayMs) await new Promise((done) => setTimeout(done, r.delayMs));
      if (Buffer.isBuffer(r.body)) {
        res.writeHead(r.status ?? 200, { "content-type": "application/octet-stream", ...(r.headers ?? {}) });
        res.end(r.body);
        return;
      }
      res.writeHead(r.status ?? 200, { "content-type": "application/json", ...(r.headers ?? {}) });
      res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? {}));
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Requests to a path (exact, or matching a RegExp). */
  to(path: string | RegExp): Recorded[] {
    return this.requests.filter((r) => (typeof path === "string" ? r.path === path : path.test(r.path)));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.closeAllConnections?.();
      this.server?.close(() => resolve());
    });
  }
}

type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/** Poll until `check` returns a truthy value (or throw after `timeoutMs`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A multipart body read as a platform's server reads it: tolerant of what real clients send
 * (grammY writes `filename=file.ogg` unquoted, which undici's strict parser refuses).
 */
function parseMultipart(bytes: Buffer, type: string): Map<string, FormPart> | undefined {
  const boundary = type.match(/boundary=(?:"([^"]+)"|([^;\s]+))/i);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return undefined;
  const out = new Map<string, FormPart>();
  const delimiter = Buffer.from(`--${b}`);
  let at = bytes.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (bytes.subarray(start, start + 2).toString() === "--") break;
    const next = bytes.indexOf(delimiter, start);
    if (next === -1) break;
    const part = bytes.subarray(start + 2, next - 2); // after CRLF, before the CRLF preceding the next delimiter
    const split = part.indexOf("\r\n\r\n");
    if (split !== -1) {
      const head = part.subarray(0, split).toString("utf8");
      const body = part.subarray(split + 4);
      const name = head.match(/\bname="?([^";\r\n]+)"?/i)?.[1];
      const filename = head.match(/\bfilename="?([^";\r\n]+)"?/i)?.[1];
      const ctype = head.match(/content-type:\s*([^\r\n]+)/i)?.[1] ?? "";
      if (name)
        out.set(
          name,
          filename !== undefined
            ? { filename, type: ctype, bytes: Buffer.from(body) }
            : { value: body.toString("utf8") },
        );
    }
    at = next;
  }
  return out;
}
