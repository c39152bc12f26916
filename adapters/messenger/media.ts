import type { Keyv } from "keyv";
import { chooseRule, factsOf } from "../../src/media/fit.js";
import { extensionOf } from "../../src/media/sniff.js";
import type { MediaPort } from "../../src/ports/media.js";
import type { Attachment } from "../../src/ports/message.js";
import type { SendOutcome } from "../../src/ports/queue.js";
import { MESSENGER_CAPABILITIES } from "./capabilities.js";
import type { GraphClient, GraphResult } from "./client.js";
import type { UploadedAttachment } from "./types.js";

/** Meta keeps a reusable attachment 90 days; hotro reuses its id a little less long. */
const REUSE_MS = 80 * 24 * 3600_000;

/**
 * A stored file → an attachment Messenger sends by id: uploaded once with the Attachment
 * Upload API (`POST /me/message_attachments`, multipart `message` + `filedata`), since
 * Meta fetches only public http(s) URLs and hotro's files are not public. The id is kept per
 * file, so a retry or a second recipient does not upload it again.
 */
export async function uploadFor(
  a: Attachment,
  d: {
    client: GraphClient;
    kv: Keyv;
    media: MediaPort | undefined;
    classify: (r: GraphResult) => SendOutcome;
  },
): Promise<{ attachment: UploadedAttachment } | { outcome: SendOutcome }> {
  const label = a.name ?? a.type;
  const refuse = (why: string): { outcome: SendOutcome } => ({
    outcome: { ok: false, permanent: true, error: `${label}: ${why}` },
  });
  const facts = factsOf(a);
  const chosen = facts ? chooseRule(MESSENGER_CAPABILITIES.media, facts) : undefined;
  if (!chosen) return refuse("the file is not kept by hotro");
  if ("why" in chosen) return refuse(chosen.why);
  const type = chosen.rule.as as UploadedAttachment["type"];
  const key = `messenger:attachment:${a.mediaId}:${type}`;
  const known = (await d.kv.get(key)) as string | undefined;
  if (known) return { attachment: { type, payload: { attachment_id: known } } };
  const file = a.mediaId ? await d.media?.read(a.mediaId) : undefined;
  if (!file) return refuse("the file is no longer kept");
  const r = await d.client.upload(
    "/me/message_attachments",
    { message: JSON.stringify({ attachment: { type, payload: { is_reusable: true } } }) },
    {
      field: "filedata",
      name: a.name ?? `file.${extensionOf(file.record.mime)}`,
      type: file.record.mime,
      bytes: file.bytes,
    },
    // Meta takes its time with a large video.
    { timeoutMs: 90_000 },
  );
  if (!r.ok) return { outcome: d.classify(r) };
  const id = (r.body as { attachment_id?: unknown } | undefined)?.attachment_id;
  if (typeof id !== "string" && typeof id !== "number")
    return refuse("Messenger answered the upload without an attachment_id");
  await d.kv.set(key, String(id), REUSE_MS);
  return { attachment: { type, payload: { attachment_id: String(id) } } };
}
