import { createHash } from "node:crypto";
import type { RequestView } from "../../desk/view.js";
import type { Lang } from "../../ports/vocabulary.js";
import { say } from "./files.js";

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const e = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c] ?? c);

const STYLE = `body{font:14px/1.5 system-ui,sans-serif;color:#111;max-width:48rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.3rem;margin:0 0 .5rem}table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{text-align:left;padding:.15rem .75rem .15rem 0;vertical-align:top}th{color:#555;font-weight:600}
ol{list-style:none;padding:0}li{border-top:1px solid #ddd;padding:.4rem 0}
.who{font-weight:600}.when{color:#666;font-size:.85em;margin-left:.5rem}
.note{background:#fff8db}.event{color:#555;font-style:italic}.err{color:#a00}
@media print{body{margin:0}}`;
const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");

/** A printable page of one request (no script; the style allowed by its hash only). */
export function exportHtml(v: RequestView, lang: Lang, timeZone: string): { html: string; csp: string } {
  const t = (k: string, vars: Record<string, string | number> = {}) => say(lang, k, vars);
  const when = (at: number) =>
    new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
      dateStyle: "short",
      timeStyle: "short",
      timeZone,
    }).format(at);
  const r = v.request;
  const who = (x: RequestView["transcript"][number]) =>
    x.kind === "note"
      ? `${t("note")} · ${x.by ?? ""}`
      : x.from === "user"
        ? (r.displayName ?? t("from_user"))
        : x.from === "operator"
          ? (x.by ?? t("reply"))
          : t("from_bot");
  const lines = v.transcript.map((x) => {
    if (x.kind === "event") return `<li class="event">${e(x.text)}<span class="when">${e(when(x.at))}</span></li>`;
    const err = x.error ? `<div class="err">${e(t("failed", { error: x.error }))}</div>` : "";
    return `<li${x.kind === "note" ? ' class="note"' : ""}><span class="who">${e(who(x))}</span><span class="when">${e(when(x.at))}</span><div>${e(x.text)}</div>${err}</li>`;
  });
  const fields = Object.entries(r.fields)
    .map(([k, val]) => `<tr><th>${e(k)}</th><td>${e(val)}</td></tr>`)
    .join("");
  const html = `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${e(r.id)} · ${e(r.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>${e(r.id)} · ${e(r.title)}</h1>
<table>
<tr><th>${e(t("user"))}</th><td>${e(r.displayName ?? "")} (${e(r.channel)}:${e(r.userId)})</td></tr>
<tr><th>${e(t("channel"))}</th><td>${e(v.channel.name)}</td></tr>
<tr><th>${e(t("priority"))}</th><td>${e(t(`priority_${r.priority}`))}</td></tr>
<tr><th>${e(t("status"))}</th><td>${e(t(`status_${r.status}`))}</td></tr>
<tr><th>${e(t("assignee"))}</th><td>${e(r.assignee ?? t("nobody"))}</td></tr>
<tr><th>${e(t("created"))}</th><td>${e(when(r.createdAt))}</td></tr>
<tr><th>${e(t("printed"))}</th><td>${e(when(Date.now()))}</td></tr>
</table>
<h2>${e(t("fields"))}</h2>${fields ? `<table>${fields}</table>` : `<p>${e(t("no_fields"))}</p>`}
<h2>${e(t("conversation"))}</h2><ol>${lines.join("\n")}</ol>
</body></html>
`;
  const csp = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}
