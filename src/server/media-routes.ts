import type { FastifyInstance } from "fastify";
import { MEDIA_ID } from "../media/files.js";
import type { Media } from "../media/media.js";
import { extensionOf, inlineSafe } from "../media/sniff.js";

/**
 * `GET /media/<id>?e=<expiry>&s=<signature>`: a stored file for whoever holds a signed link
 * (the console, the live chat, a user on a platform that could not take the file). Pictures,
 * sound and video are shown inline; everything else (SVG and HTML included) only downloads,
 * under a sandboxing CSP and `nosniff`, so no stored file can run in this site's origin.
 */
export function mediaRoutes(app: FastifyInstance, media: Media): void {
  app.get<{ Params: { id: string }; Querystring: { e?: string; s?: string } }>("/media/:id", async (req, reply) => {
    const { id } = req.params;
    const expires = Number(req.query.e);
    if (!MEDIA_ID.test(id) || !req.query.s || !media.valid(id, expires, req.query.s))
      return reply.code(403).send({ error: "this link is wrong or has expired" });
    const file = await media.read(id);
    if (!file)
      return reply.code(404).send({ error: "no such file (it may have been deleted after the retention period)" });
    const { record, bytes } = file;
    const inline = inlineSafe(record.mime);
    const name = (record.name ?? `file-${id.slice(0, 8)}.${extensionOf(record.mime)}`).replace(/["\\\r\n]/g, "_");
    return reply
      .header("content-type", inline ? record.mime : "application/octet-stream")
      .header("content-length", String(bytes.length))
      .header("x-content-type-options", "nosniff")
      .header("content-security-policy", "default-src 'none'; sandbox")
      .header("cache-control", "private, max-age=300")
      .header(
        "content-disposition",
        `${inline ? "inline" : "attachment"}; filename="${name.replace(/[^\x20-\x7e]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      )
      .send(bytes);
  });
}
