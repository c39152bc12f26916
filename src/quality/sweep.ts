import type { Content } from "../content/types.js";
import { DAYS, localTime } from "../engine/hours.js";
import { Texts } from "../engine/template.js";
import type { Backend } from "../ports/backend.js";
import type { ControlEvent } from "../ports/control.js";
import type { RequestRecord } from "../ports/requests.js";
import type { LeadNotices } from "./notices.js";
import { statsFor } from "./report.js";
import { slaClock } from "./sla.js";
import { weekOf } from "./stats.js";

export interface SweepDeps {
  backend: Pick<Backend, "requests" | "quality" | "kv">;
  notices: LeadNotices;
  content: () => Content;
  /** Records an operators' action in the user's conversation (the runtime's `control`). */
  control?: (conv: string, event: ControlEvent, key: string) => Promise<boolean>;
}

const PHASE_WORDS = {
  vi: {
    first_response: "phản hồi đầu",
    next_response: "phản hồi tiếp",
    resolution: "xử lý",
    deadline: "hạn theo luật",
  },
  en: {
    first_response: "first response",
    next_response: "next response",
    resolution: "resolution",
    deadline: "legal deadline",
  },
} as const;

/**
 * What the quality loop checks on a timer (every minute, on every process: each notice is
 * keyed by what it is about, so it goes out once whoever sees it first): requests nearing
 * or past their promised times, and the weekly digest once its hour has come.
 */
export async function sweep(d: SweepDeps, now: number): Promise<{ warned: string[]; breached: string[] }> {
  const content = d.content();
  const config = content.config;
  const lang = config.operators.language;
  const t = new Texts(content, lang, new Date(now));
  const open: RequestRecord[] = [
    ...(await d.backend.requests.list({ status: "open", limit: 2000 })),
    ...(await d.backend.requests.list({ status: "in_progress", limit: 2000 })),
  ];
  const warned: string[] = [];
  const breached: string[] = [];
  const autoClose = config.quality.auto_close_hours * 3_600_000;
  for (const r of open) {
    if (autoClose > 0 && d.control && (r.onUserSince ?? 0) > 0 && now - (r.onUserSince ?? now) >= autoClose) {
      // The user never wrote back: closed by the system (the key makes it once per wait).
      await d.control(
        r.conv,
        { kind: "request_closed", requestId: r.id, auto: true },
        `auto-close:${r.id}:${r.onUserSince}`,
      );
      continue;
    }
    const c = slaClock(r, config, now);
    if (!c || c.state === "green") continue;
    // One notice per clock run: the next-response clock starts again at each new wait.
    const run = c.phase === "next_response" ? (r.awaitingSince ?? 0) : r.createdAt;
    const facts = {
      request_id: r.id,
      phase: PHASE_WORDS[lang][c.phase],
      elapsed: t.duration(Math.round(c.elapsed)),
      target: t.duration(c.target),
      share: Math.round(c.share * 100),
    };
    if (c.state === "red") {
      const text = t.msg("lead_sla_breach", facts);
      if (await d.notices.send("sla_breach", `sla:${r.id}:${c.phase}:${run}:breach`, text, r.id, r.channel))
        breached.push(r.id);
    } else {
      const text = t.msg("lead_sla_warning", facts);
      if (await d.notices.send("sla_warning", `sla:${r.id}:${c.phase}:${run}:warn`, text, r.id, r.channel))
        warned.push(r.id);
    }
  }
  await digest(d, content, t, now);
  return { warned, breached };
}

/** The weekly digest of the week before, from its configured local day and hour on. */
async function digest(d: SweepDeps, content: Content, t: Texts, now: number): Promise<void> {
  const cfg = content.config.quality.digest;
  if (!cfg.enabled) return;
  const local = localTime(new Date(now), content.config.timezone);
  const thisWeek = weekOf(local.date);
  const day = DAYS.indexOf(local.day);
  if (day < DAYS.indexOf(cfg.weekday) || (day === DAYS.indexOf(cfg.weekday) && local.minutes < cfg.hour * 60)) return;
  const monday = new Date(`${thisWeek}T00:00:00Z`);
  monday.setUTCDate(monday.getUTCDate() - 7);
  const from = monday.toISOString().slice(0, 10);
  monday.setUTCDate(monday.getUTCDate() + 6);
  const to = monday.toISOString().slice(0, 10);
  const s = await statsFor(d.backend, content.config, from, to);
  const f = s.total;
  const text = t.msg("lead_digest", {
    from,
    to,
    conversations: f.conversations,
    contained: f.contained,
    handed_off: f.handedOff,
    first_response: f.firstResponse.median === null ? "–" : t.duration(Math.round(f.firstResponse.median)),
    sla_met: f.sla.share === null ? "–" : `${Math.round(f.sla.share * 100)}%`,
    csat: f.csat.average === null ? "–" : `${f.csat.average}/5`,
    ratings: f.csat.ratings,
    top_gap: s.topGaps[0] ? `“${s.topGaps[0].text}” (${s.topGaps[0].count})` : "–",
  });
  await d.notices.send("digest", `digest:${from}`, text);
}
