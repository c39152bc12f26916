import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { LANGS, type Lang } from "../../ports/vocabulary.js";
import type { AppDeps } from "../app.js";
import { type Asset, consoleFiles, say } from "./files.js";

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** The console's own policy: its scripts and style only (no inline code), its own API and live feed. */
function policy(host: string | undefined): string {
  const ws = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self'${ws}`,
    "img-src 'self' data: https:",
    // Voice notes and videos, from hotro's own signed links.
    "media-src 'self'",
    "media-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function page(lang: Lang, brand: string): string {
  const e = escapeHtml;
  return `<!doctype html>
<html lang="${lang}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
    <meta name="color-scheme" content="light">
    <meta name="referrer" content="no-referrer">
    <title>${e(say(lang, "title"))}${brand ? ` · ${e(brand)}` : ""}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/console/vendor/uplot.css">
    <link rel="stylesheet" href="/console/app.css">
    <link rel="modulepreload" href="/console/vendor/preact.mjs">
    <script type="module" src="/console/app.js"></script>
  </head>
  <body data-lang="${lang}" data-brand="${e(brand)}">
    <div id="app"><p class="boot">${e(say(lang, "title"))}…</p></div>
    <noscript><p class="boot">JavaScript.</p></noscript>
  </body>
</html>
`;
}

function serve(a: Asset | undefined, req: FastifyRequest, reply: FastifyReply) {
  if (!a) return reply.code(404).send({ error: "no such console file" });
  reply
    .header("content-type", a.type)
    .header("etag", a.etag)
    .header("cache-control", "no-cache")
    .header("x-content-type-options", "nosniff");
  if (req.headers["if-none-match"] === a.etag) return reply.code(304).send();
  return reply.send(a.body);
}

/**
 * `GET /console`: the operators' web console, served by hotro itself (no CDN, no build
 * step): the page, its script and style (src/server/console/public), its strings in
 * Vietnamese and English (strings.json), and Preact + htm as ES modules from node_modules.
 * The page holds no data: everything comes from /api with the operator's login.
 */
export async function consoleRoutes(app: FastifyInstance, d: AppDeps): Promise<void> {
  const files = consoleFiles();
  if (files.missing) d.log.error(`console: ${files.missing}: GET /console answers 503`);
  const brand = d.content.config.brand.name;

  app.get<{ Querystring: { lang?: string } }>("/console", async (req, reply) => {
    if (files.missing) return reply.code(503).send({ error: files.missing });
    const asked = req.query.lang;
    const lang: Lang = LANGS.includes(asked as Lang) ? (asked as Lang) : "vi";
    return reply
      .header("content-type", "text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", policy(req.headers.host))
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("x-frame-options", "DENY")
      .send(page(lang, brand));
  });
  for (const name of Object.keys(files.own)) {
    app.get(`/console/${name}`, async (req, reply) => serve(files.own[name], req, reply));
  }
  for (const name of Object.keys(files.vendor)) {
    app.get(`/console/vendor/${name}`, async (req, reply) => serve(files.vendor[name], req, reply));
  }
}
