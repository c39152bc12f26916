import { chooseRule, factsOf } from "../../src/media/fit.js";
import { extensionOf } from "../../src/media/sniff.js";
import type { MediaPort } from "../../src/ports/media.js";
import type { Attachment } from "../../src/ports/message.js";
import type { SendOutcome } from "../../src/ports/queue.js";
import { ZALO_CAPABILITIES } from "./capabilities.js";
import { type HttpResult, type ZaloClient, ZaloNetworkError } from "./client.js";
import { classifyError } from "./outbound.js";
import type { ZaloApiResponse, ZaloSendBody } from "./types.js";

type Uploaded = NonNullable<ZaloSendBody["message"]["attachment"]>;
/** Zalo's upload ids reportedly expire after 7 days (error -100): reused for less than that. */
const REUSE_MS = 6 * 24 * 3600_000;

/**
 * A stored file → the attachment of a CS message: uploaded to `/v2.0/oa/upload/image`
 * (JPG/PNG up to 1 MB), `/upload/gif` or `/upload/file` (PDF/DOC/DOCX up to 5 MB) with the
 * OA's token, since Zalo's media template fetches only public URLs and hotro's files are
 * not public. A file no endpoint takes is refused with the reason (the runtime sends a
 * link instead when hotro has a public address).
 */
export async function uploadFor(
  a: Attachment,
  d: {
    client: ZaloClient;
    media: MediaPort | undefined;
    kv: import("keyv").Keyv;
    /** The OA's access token; `stale` asks for a refreshed one. */
    token: (stale?: string) => Promise<string>;
  },
): Promise<{ attachment: Uploaded } | { outcome: SendOutcome }> {
  const label = a.name ?? a.type;
  const refuse = (why: string): { outcome: SendOutcome } => ({
    outcome: { ok: false, permanent: true, error: `${label}: ${why}` },
  });
  const facts = factsOf(a);
  const chosen = facts ? chooseRule(ZALO_CAPABILITIES.media, facts) : undefined;
  if (!chosen) return refuse("the file is not kept by hotro");
  if ("why" in chosen) return refuse(chosen.why);
  const kind = chosen.rule.as as "image" | "gif" | "file";
  const key = `zalo:upload:${a.mediaId}:${kind}`;
  const known = (await d.kv.get(key)) as string | undefined;
  if (known) return { attachment: attachmentOf(kind, known) };
  const file = a.mediaId ? await d.media?.read(a.mediaId) : undefined;
  if (!file) return refuse("the file is no longer kept");
  const upload = { name: a.name ?? `file.${extensionOf(file.record.mime)}`, type: file.record.mime, bytes: file.bytes };
  let res: HttpResult<ZaloApiResponse<{ attachment_id?: string; token?: string }>>;
  try {
    let token = await d.token();
    res = await d.client.upload(token, kind, upload);
    if (res.status === 401 || authError(res)) {
      token = await d.token(token);
      res = await d.client.upload(token, kind, upload);
    }
  } catch (err) {
    if (err instanceof ZaloNetworkError) return { outcome: { ok: false, permanent: false, error: err.message } };
    return { outcome: { ok: false, permanent: false, error: `Zalo upload: ${(err as Error).message}` } };
  }
  if (res.status >= 500 || res.status === 429)
    return { outcome: { ok: false, permanent: false, error: `Zalo upload answered HTTP ${res.status}` } };
  const code = Number(res.json?.error ?? (res.status < 300 ? 0 : -res.status));
  if (code !== 0) {
    const c = classifyError(code, typeof res.json?.message === "string" ? res.json.message : undefined);
    if (c.kind === "transient") return { outcome: { ok: false, permanent: false, error: c.error } };
    return refuse(c.kind === "auth" ? "Zalo refused the OA's token for the upload" : c.error);
  }
  const id = kind === "file" ? res.json?.data?.token : res.json?.data?.attachment_id;
  if (!id) return refuse("Zalo answered the upload without an id");
  await d.kv.set(key, String(id), REUSE_MS);
  return { attachment: attachmentOf(kind, String(id)) };
}

function attachmentOf(kind: "image" | "gif" | "file", id: string): Uploaded {
  if (kind === "file") return { type: "file", payload: { token: id } };
  return { type: "template", payload: { template_type: "media", elements: [{ media_type: kind, attachment_id: id }] } };
}

function authError(res: HttpResult<ZaloApiResponse>): boolean {
  const code = Number(res.json?.error ?? 0);
  return code !== 0 && classifyError(code, undefined).kind === "auth";
}
