import { MediaError, type MediaSource } from "../ports/media.js";

/** Megabytes, as people read sizes (one decimal under 10). */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

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
    try {
      res = await fetch(source.url, { headers: source.headers ?? {}, signal: abort.signal, redirect: "follow" });
    } catch (err) {
      // The URL may carry a token (Telegram's file path): name the failure, never the URL.
      throw new MediaError(`could not fetch the file (${(err as Error).name})`, "fetch");
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
