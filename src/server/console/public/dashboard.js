import { useEffect, useRef, useState } from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";
import { h } from "./vendor/preact.mjs";
import uPlot from "./vendor/uplot.mjs";

/**
 * The leads' dashboard: the figures of GET /api/stats for a range of days, drawn with uPlot
 * (served from node_modules like Preact: no CDN), the content gaps to act on, and the
 * leads' notices. The numbers on screen are the API's own, so the CSV export and the
 * charts never disagree.
 */
const html = htm.bind(h);

const COLORS = { contained: "#2e7d32", handed: "#c62828", first: "#1565c0", p90: "#90caf9", csat: "#f9a825" };

const day = (d) => d.toISOString().slice(0, 10);
const minutes = (v) => (v === null || v === undefined ? "–" : `${Math.round(v)}′`);
const percent = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

/** One uPlot chart in a box that follows its container's width. */
function Chart({ label, data, series, bars, yRange }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = Math.max(260, el.clientWidth || 480);
    const opts = {
      width,
      height: 220,
      title: label,
      // Counts and minutes start at zero, whatever the smallest value.
      // Half a slot on each side, so the first and last bars are drawn whole.
      scales: {
        x: { time: false, range: () => [-0.5, data.labels.length - 0.5] },
        y: { range: yRange ?? ((_u, _min, max) => [0, Math.max(1, max * 1.1)]) },
      },
      legend: { live: false },
      axes: [{ values: (_u, ticks) => ticks.map((i) => data.labels[i] ?? "") }, {}],
      series: [
        { label: "" },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: bars ? `${s.color}cc` : undefined,
          width: bars ? 0 : 2,
          ...(bars ? { paths: uPlot.paths.bars({ size: [0.7, 60], align: 0 }) } : {}),
          points: { show: !bars },
        })),
      ],
    };
    const x = data.labels.map((_, i) => i);
    const chart = new uPlot(opts, [x, ...series.map((s) => s.values)], el);
    return () => chart.destroy();
  }, [label, data, series, bars, yRange]);
  return html`<figure class="chart" aria-label=${label} ref=${box}></figure>`;
}

function Card({ label, value, hint }) {
  return html`<div class="card"><span class="card-label">${label}</span><b class="card-value">${value}</b>${hint && html`<span class="card-hint">${hint}</span>`}</div>`;
}

export function Dashboard({ t, api }) {
  const today = new Date();
  const [from, setFrom] = useState(day(new Date(today.getTime() - 13 * 86_400_000)));
  const [to, setTo] = useState(day(today));
  const [stats, setStats] = useState(undefined);
  const [gaps, setGaps] = useState([]);
  const [notices, setNotices] = useState([]);
  const [intents, setIntents] = useState({});
  const [intentList, setIntentList] = useState([]);
  const [error, setError] = useState("");

  const load = async () => {
    const q = new URLSearchParams({ from, to });
    const [s, g, n] = await Promise.all([api.get(`/stats?${q}`), api.get("/gaps"), api.get("/notices")]);
    if (!s.ok) {
      setError(s.data.error ?? String(s.status));
      return;
    }
    setError("");
    setStats(s.data);
    if (g.ok) {
      setGaps(g.data.groups);
      setIntentList(g.data.intents ?? []);
    }
    if (n.ok) setNotices(n.data.notices);
  };
  useEffect(() => {
    void load();
  }, [from, to]);

  const decide = async (id, body) => {
    const r = await api.post(`/gaps/${id}`, body);
    if (!r.ok) setError(r.data.error ?? String(r.status));
    await load();
  };

  if (!stats) return html`<section class="dashboard"><p class="empty">${error || t("loading")}</p></section>`;
  const s = stats.total;
  const labels = stats.byDay.map((d) => d.day.slice(5).split("-").reverse().join("/"));
  const byDay = { labels };
  const csatDist = { labels: ["1", "2", "3", "4", "5"] };
  const csv = `/api/stats?${new URLSearchParams({ from, to, format: "csv" })}`;

  return html`<section class="dashboard" aria-label=${t("dashboard")}>
    <form class="range" onSubmit=${(e) => e.preventDefault()}>
      <label>${t("from")} <input type="date" value=${from} max=${to} onChange=${(e) => setFrom(e.currentTarget.value)} /></label>
      <label>${t("to")} <input type="date" value=${to} min=${from} onChange=${(e) => setTo(e.currentTarget.value)} /></label>
      <a class="button" href=${csv} download>${t("export_csv")}</a>
    </form>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    <div class="cards">
      <${Card} label=${t("conversations")} value=${s.conversations} />
      <${Card} label=${t("contained")} value=${s.contained} hint=${s.conversations ? percent(s.contained / s.conversations) : ""} />
      <${Card} label=${t("handed_off")} value=${s.handedOff} />
      <${Card} label=${t("first_response")} value=${minutes(s.firstResponse.median)} hint=${`p90 ${minutes(s.firstResponse.p90)}`} />
      <${Card} label=${t("resolution")} value=${minutes(s.resolution.median)} hint=${`p90 ${minutes(s.resolution.p90)}`} />
      <${Card} label=${t("sla_met")} value=${percent(s.sla.share)} hint=${`${s.sla.met}/${s.sla.total}`} />
      <${Card} label=${t("csat")} value=${s.csat.average ?? "–"} hint=${t("csat_hint", { n: s.csat.ratings, skipped: s.csat.skippedWindow })} />
    </div>
    <div class="charts">
      <${Chart} label=${t("chart_conversations")} data=${byDay} bars=${true}
        series=${[
          // Drawn over each other: the red part of each day's bar is what went to people.
          { label: t("conversations"), color: COLORS.contained, values: stats.byDay.map((d) => d.conversations) },
          { label: t("handed_off"), color: COLORS.handed, values: stats.byDay.map((d) => d.handedOff) },
        ]} />
      <${Chart} label=${t("chart_first_response")} data=${byDay}
        series=${[
          { label: t("median"), color: COLORS.first, values: stats.byDay.map((d) => d.firstResponse.median) },
          { label: "p90", color: COLORS.p90, values: stats.byDay.map((d) => d.firstResponse.p90) },
        ]} />
      <${Chart} label=${t("chart_csat")} data=${csatDist} bars=${true}
        series=${[{ label: t("ratings"), color: COLORS.csat, values: ["1", "2", "3", "4", "5"].map((k) => s.csat.distribution[k]) }]} />
    </div>
    <div class="tables">
      <table class="by-channel">
        <caption>${t("by_channel")}</caption>
        <thead><tr><th>${t("channel")}</th><th>${t("conversations")}</th><th>${t("contained")}</th><th>${t("handed_off")}</th><th>${t("first_response")}</th><th>${t("sla_met")}</th><th>${t("csat")}</th></tr></thead>
        <tbody>${stats.byChannel.map(
          (c) => html`<tr><td>${c.channel}</td><td>${c.conversations}</td><td>${c.contained}</td><td>${c.handedOff}</td>
            <td>${minutes(c.firstResponse.median)}</td><td>${percent(c.sla.share)}</td><td>${c.csat.average ?? "–"}</td></tr>`,
        )}</tbody>
      </table>
      <table class="top-intents">
        <caption>${t("top_intents")}</caption>
        <tbody>${stats.topIntents.map((i) => html`<tr><td>${i.intent}</td><td>${i.count}</td></tr>`)}</tbody>
      </table>
    </div>
    <section class="gaps" aria-label=${t("content_gaps")}>
      <h2>${t("content_gaps")}</h2>
      ${gaps.length === 0 && html`<p class="empty">${t("no_gaps")}</p>`}
      <ul>
        ${gaps.slice(0, 20).map(
          (g) => html`<li key=${g.id} class=${g.decision ? `decided ${g.decision.action}` : ""}>
            <span class="gap-count">${g.count}×</span>
            <span class="gap-text">${g.examples[0]}</span>
            <span class="gap-more">${g.examples.slice(1).join(" · ")}</span>
            <span class="gap-meta">${g.channels.join(", ")}</span>
            ${
              g.decision
                ? html`<span class="gap-decision">${t(`gap_${g.decision.action}`, { intent: g.decision.intent ?? "" })}</span>`
                : html`<span class="gap-actions">
                    <select aria-label=${t("gap_intent")} onChange=${(e) => setIntents({ ...intents, [g.id]: e.currentTarget.value })}>
                      <option value="">${t("gap_intent")}</option>
                      ${intentList.map((i) => html`<option value=${i}>${i}</option>`)}
                    </select>
                    <button disabled=${!intents[g.id]} onClick=${() => decide(g.id, { action: "example", intent: intents[g.id] })}>${t("gap_add_example")}</button>
                    <button onClick=${() => decide(g.id, { action: "new_intent" })}>${t("gap_new_intent")}</button>
                    <button class="link" onClick=${() => decide(g.id, { action: "ignored" })}>${t("gap_ignore")}</button>
                  </span>`
            }
          </li>`,
        )}
      </ul>
    </section>
    <section class="notices" aria-label=${t("notices")}>
      <h2>${t("notices")}</h2>
      ${notices.length === 0 && html`<p class="empty">${t("no_notices")}</p>`}
      <ul>${notices.slice(0, 20).map((n) => html`<li class=${`notice ${n.type}`}><time>${new Date(n.at).toLocaleString()}</time> ${n.text}</li>`)}</ul>
    </section>
  </section>`;
}
