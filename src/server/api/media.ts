import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { RequestView } from "../../desk/view.js";
import type { Media } from "../../media/media.js";
import { MediaError, type MediaRecord, stored } from "../../ports/media.js";
import type { Attachment } from "../../ports/message.js";

/** A new random media id (uploads: nothing to derive one from). */
export const newMediaId = () => randomBytes(18).toString("base64url");

/** What an upload answers, and what a reply refers to: the file as an attachment. */
export function attachmentOf(r: MediaRecord): Attachment {
  const type: Attachment["type"] = r.kind === "sticker" ? "image" : r.kind;
  return stored({ type }, r);
}

/**
 * `POST /api/media?name=<file name>`: an operator's file from the console composer, the raw
 * bytes as the body (the browser's `fetch(url, {body: file})`), up to the media cap. It
 * answers the attachment; `POST /api/requests/:id/reply {"attachments": [<mediaId>]}` sends it.
 */
export async function mediaApiRoutes(api: FastifyInstance, media: Media): Promise<void> {
  // Any content type: the bytes decide what the file is, never the header.
  api.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: media.maxBytes }, (_req, body, done) =>
    done(null, body),
  );
  api.post<{ Querystring: { name?: string } }>("/media", { bodyLimit: media.maxBytes }, async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0)
      return reply.code(400).send({ error: "send the file's bytes as the body" });
    try {
      const name = typeof req.query.name === "string" ? req.query.name.slice(0, 200) : undefined;
      const record = await media.put(newMediaId(), body, name ? { name } : {});
      return reply.code(201).send({ attachment: attachmentOf(record), url: media.link(record.id) });
    } catch (err) {
      if (err instanceof MediaError)
        return reply.code(err.reason === "too_large" ? 413 : 400).send({ error: err.message });
      throw err;
    }
  });
}

/** The console opens files through signed links made when it asks (they expire; the ids stay). */
export function withLinks(view: RequestView, media: Media): RequestView {
  return {
    ...view,
    transcript: view.transcript.map((e) =>
      e.attachments?.length
        ? {
            ...e,
            attachments: e.attachments.map((a) => {
              const link = a.mediaId ? media.link(a.mediaId) : undefined;
              // A platform's own link (expiring, maybe carrying a token) is never handed on.
              const { url: _platform, fileId: _id, ...rest } = a;
              return link ? { ...rest, link } : rest;
            }),
          }
        : e,
    ),
  };
}
