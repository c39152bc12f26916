import { MediaError, type MediaSource } from "../ports/media.js";

/** Megabytes, as people read sizes (one decimal under 10). */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/**
 * Hosts whose name did not resolve lately (host → until when, ms): a conversation's files are
 * fetched in its lane, so a CDN name that does not resolve must not cost every later file of
 * every user another lookup while it lasts.
 */
const unresolved = new Map<string, number>();
const UNRESOLVED_MS = 30_000;

/**
 * Fetch a platform's file with a cap: refused before the download when the platform or the
 * server says it is too large, stopped as soon as more than `maxBytes` arrived otherwise
 * (a server can lie about the length, or not give one).
 */
export async function download(source: MediaSource, maxBytes: number, timeoutMs = 60_000): Promise<Buffer> {
  const tooLarge = (n: number) =>
    new MediaError(`too large: ${megabytes(n)}, the limit is ${megabytes(maxBytes)}`, "too_large");
  if (source.size !== undefined && source.size > maxBytes) throw tooLarge(source.size);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    let res: Response;
    const host = new URL(source.url).host;
    if ((unresolved.get(host) ?? 0) > Date.now())
      throw new MediaError("could not fetch the file (its host does not resolve)", "fetch");
    try {
      res = await fetch(source.url, { headers: source.headers ?? {}, signal: abort.signal, redirect: "follow" });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
        unresolved.set(host, Date.now() + UNRESOLVED_MS);
        if (unresolved.size > 1000) unresolved.delete(unresolved.keys().next().value as string);
      }
      // The URL may carry a token (Telegram's file path): name the failure, never the URL.
      throw new MediaError(`could not fetch the file (${code ?? (err as Error).name})`, "fetch");
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new MediaError(`could not fetch the file (HTTP ${res.status})`, "fetch");
    }
    const declared = Number(res.headers.get("content-length") ?? Number.NaN);
    if (declared > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw tooLarge(declared);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(total);
      }
      chunks.push(Buffer.from(value));
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError(`could not fetch the file (${(err as Error).name})`, "fetch");
  } finally {
    clearTimeout(timer);
  }
}
