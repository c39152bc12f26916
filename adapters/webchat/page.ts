const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * The page at `/`: nothing but the chat, drawn by the same script sites embed (in page mode).
 * Script and style are files of this server, so the page's CSP allows nothing inline.
 */
export function pageHtml(p: { lang: string; title: string; description: string; noscript: string }): string {
  const e = escapeHtml;
  return `<!doctype html>
<html lang="${e(p.lang)}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
    <meta name="description" content="${e(p.description)}">
    <meta name="color-scheme" content="light">
    <title>${e(p.title)}</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/webchat/widget.css">
    <script src="/webchat/widget.js" data-mode="page" data-lang="${e(p.lang)}" defer></script>
  </head>
  <body class="hotro-page">
    <noscript><p class="hotro-noscript">${e(p.noscript)}</p></noscript>
  </body>
</html>
`;
}
