import { Dashboard } from "./dashboard.js";
import { Api, chime, LiveFeed, unlockSound } from "./live.js";
import { useCallback, useEffect, useMemo, useRef, useState } from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";
import { h, render } from "./vendor/preact.mjs";

/**
 * The operators' console (GET /console): Preact + htm as plain ES modules, no build step.
 * Everything it shows comes from /api with the operator's login; the live feed says when to
 * look again. Strings: strings.json (Vietnamese and English).
 */
const html = htm.bind(h);
const api = new Api();
const QUEUES = ["new", "mine", "open", "resolved"];
const PRIORITIES = ["urgent", "high", "normal", "low"];
const STATUSES = ["open", "in_progress", "resolved"];
const CHANNELS = ["zalo", "messenger", "telegram", "webchat"];
const RANK = { agent: 0, lead: 1, admin: 2 };

let STRINGS = { vi: {}, en: {} };
const fill = (s, vars = {}) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const translator = (lang) => (key, vars) => fill(STRINGS[lang]?.[key] ?? key, vars);

function duration(t, ms) {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 1) return t("under_a_minute");
  if (min < 120) return t("minutes", { n: min });
  if (min < 48 * 60) return t("hours", { n: Math.round(min / 60) });
  return t("days", { n: Math.round(min / 1440) });
}

function clock(lang, at) {
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    ...(today ? {} : { day: "2-digit", month: "2-digit" }),
    hour: "2-digit",
    minute: "2-digit",
  }).format(d);
}

const isTyping = (el) =>
  el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);

// ------------------------------------------------------------------ login

function Login({ t, lang, onLang, onIn, notice }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(notice ?? "");
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    const r = await api.post("/login", { username, password });
    setBusy(false);
    if (r.ok) return onIn(r.data.operator, r.data.csrf);
    if (r.status === 429)
      return setError(
        t("login_limited", { minutes: Math.max(1, Math.ceil((r.data.retryAfterMs ?? 60_000) / 60_000)) }),
      );
    if (r.status === 401) return setError(t("login_wrong"));
    setError(t("error", { error: r.data.error ?? r.status }));
  };
  return html`<main class="login">
    <form class="login-box" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">${t("login_title")}</h1>
      <label for="username">${t("username")}</label>
      <input id="username" name="username" autocomplete="username" required value=${username}
        onInput=${(e) => setUsername(e.currentTarget.value)} />
      <label for="password">${t("password")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required value=${password}
        onInput=${(e) => setPassword(e.currentTarget.value)} />
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("logging_in") : t("login")}</button>
      <button type="button" class="link" onClick=${onLang} lang=${lang === "vi" ? "en" : "vi"}>${t("switch_language")}</button>
    </form>
  </main>`;
}

// ------------------------------------------------------------------ the inbox

function QueueTabs({ t, queue, counts, onQueue }) {
  return html`<div class="queues" role="tablist" aria-label=${t("queues")}>
    ${QUEUES.map(
      (q) => html`<button role="tab" id=${`queue-${q}`} aria-selected=${queue === q ? "true" : "false"}
        class=${queue === q ? "tab on" : "tab"} onClick=${() => onQueue(q)}>
        <span>${t(`queue_${q}`)}</span> <span class="count" aria-label=${`${counts?.[q] ?? 0}`}>${counts?.[q] ?? 0}</span>
      </button>`,
    )}
  </div>`;
}

function Filters({ t, filters, setFilters, operators, me }) {
  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });
  return html`<details class="filters">
    <summary>${t("filters")}</summary>
    <div class="filter-grid">
      <label>${t("filter_status")}
        <select value=${filters.status} onChange=${set("status")}>
          <option value="">${t("any")}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(`status_${s}`)}</option>`)}
        </select></label>
      <label>${t("filter_priority")}
        <select value=${filters.priority} onChange=${set("priority")}>
          <option value="">${t("any")}</option>
          ${PRIORITIES.map((p) => html`<option value=${p}>${t(`priority_${p}`)}</option>`)}
        </select></label>
      <label>${t("filter_channel")}
        <select value=${filters.channel} onChange=${set("channel")}>
          <option value="">${t("any")}</option>
          ${CHANNELS.map((c) => html`<option value=${c}>${c}</option>`)}
        </select></label>
      <label>${t("sort")}
        <select value=${filters.sort} onChange=${set("sort")}>
          <option value="">${t("sort_waiting")}</option>
          <option value="sla">${t("sort_sla")}</option>
        </select></label>
      <label>${t("filter_assignee")}
        <select value=${filters.assignee} onChange=${set("assignee")}>
          <option value="">${t("any")}</option>
          <option value="me">${t("me")} (${me.displayName})</option>
          <option value="none">${t("unassigned")}</option>
          ${operators.filter((o) => o.name !== me.name).map((o) => html`<option value=${o.name}>${o.displayName}</option>`)}
        </select></label>
    </div>
  </details>`;
}

function RequestList({ t, items, selected, onSelect, unread, now, names }) {
  if (!items.length) return html`<p class="empty">${t("no_requests")}</p>`;
  return html`<ul class="list" aria-label=${t("requests_list")}>
    ${items.map((r) => {
      const isUnread = unread(r);
      const who = r.displayName ?? r.userId;
      return html`<li key=${r.id}>
        <button class=${`item${selected === r.id ? " on" : ""}${isUnread ? " unread" : ""}`}
          aria-current=${selected === r.id ? "true" : undefined} data-id=${r.id} onClick=${() => onSelect(r.id)}>
          <span class="row1">
            ${isUnread && html`<span class="dot" aria-label=${t("unread")} title=${t("unread")}></span>`}
            <span class="rid">${r.id}</span>
            <span class=${`prio p-${r.priority}`}>${t(`priority_${r.priority}`)}</span>
            <span class="chan">${r.channel}</span>
            ${
              r.sla &&
              html`<span class=${`sla sla-${r.sla.state}`} title=${t(`sla_${r.sla.phase}`)}
              aria-label=${t("sla_clock", { phase: t(`sla_${r.sla.phase}`), share: Math.round(r.sla.share * 100) })}>${r.sla.paused ? "⏸" : "●"} ${Math.round(r.sla.share * 100)}%</span>`
            }
          </span>
          <span class="row2"><b>${who}</b> · ${r.title}</span>
          ${r.last && html`<span class="row3">${r.last.text}</span>`}
          <span class="row4">
            ${r.waitingSince ? html`<span class="wait">${t("waiting", { time: duration(t, now - r.waitingSince) })}</span>` : html`<span>${t(`status_${r.status}`)}</span>`}
            <span>${r.assignee ? (names[r.assignee] ?? r.assignee) : t("unassigned")}</span>
          </span>
        </button>
      </li>`;
    })}
  </ul>`;
}

// ------------------------------------------------------------------ one conversation

function eventText(t, e, names) {
  const by = e.by ? (names[e.by] ?? e.by) : "?";
  switch (e.event) {
    case "escalated":
      return e.rule ? t("event_escalated_rule", { rule: e.rule }) : t("event_escalated");
    case "taken":
      return t("event_taken", { by });
    case "assigned":
      return t("event_assigned", { by, to: names[e.to] ?? e.to ?? "?" });
    case "closed":
      return t("event_closed", { by });
    case "reopened":
      return t("event_reopened", { by });
    case "back_to_bot":
      return t("event_back_to_bot", { by });
    case "inbox":
      return t("event_inbox", { inbox: e.by ?? "?" });
    default:
      return e.text;
  }
}

function Transcript({ t, lang, view, names }) {
  const ref = useRef(null);
  const entries = view.transcript;
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [entries.length, view.request.id]);
  const userName = view.request.displayName ?? t("from_user");
  return html`<ol class="transcript" role="log" aria-live="polite" aria-label=${t("conversation")} ref=${ref}>
    ${entries.map((e, i) => {
      const when = html`<time datetime=${new Date(e.at).toISOString()}>${clock(lang, e.at)}</time>`;
      if (e.kind === "event") return html`<li key=${i} class="event">${eventText(t, e, names)} · ${when}</li>`;
      if (e.kind === "note")
        return html`<li key=${i} class="msg note"><span class="who">${t("note")} · ${e.by ?? ""}</span> ${when}
          <p>${e.text}</p></li>`;
      const cls = e.from === "user" ? "user" : e.from === "operator" ? "operator" : "bot";
      const who = e.from === "user" ? userName : e.from === "operator" ? (e.by ?? t("reply")) : t("from_bot");
      return html`<li key=${i} class=${`msg ${cls}${e.error ? " failed" : ""}`}>
        <span class="who">${who}</span> ${when}
        <p>${e.text}</p>
        ${(e.attachments ?? []).map((a, j) => html`<${FileView} key=${j} t=${t} a=${a} />`)}
        ${e.error && html`<p class="error" role="note">${t("failed", { error: e.error })}</p>`}
      </li>`;
    })}
  </ol>`;
}

/** Megabytes, as people read sizes. */
const mb = (n) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/**
 * One file of a message, from hotro's signed link: a picture inline, a player for a voice note
 * or a video, a link for a document, a map link for a place; one that never arrived says why.
 */
function FileView({ t, a }) {
  const name = a.name ?? t(a.voice ? "file_voice" : `file_${a.type}`);
  if (a.type === "location" && a.latitude !== undefined && a.longitude !== undefined) {
    const map = `https://www.openstreetmap.org/?mlat=${a.latitude}&mlon=${a.longitude}#map=17/${a.latitude}/${a.longitude}`;
    return html`<a class="file place" href=${map} target="_blank" rel="noopener noreferrer">📍 ${t("file_location")} (${a.latitude.toFixed(5)}, ${a.longitude.toFixed(5)})</a>`;
  }
  if (a.type === "contact") return html`<span class="file">📇 ${a.phone ?? a.name ?? ""}</span>`;
  if (a.error || !a.link)
    return html`<p class="file missing" role="note">⚠️ ${name}: ${a.error ?? t("file_not_kept")}</p>`;
  const size = a.size ? ` · ${mb(a.size)}` : "";
  if (a.type === "image" || (a.type === "sticker" && /^image\//.test(a.mime ?? "")))
    return html`<a class="file" href=${a.link} target="_blank" rel="noopener noreferrer"><img class="file-img" src=${a.link} alt=${name} loading="lazy" /></a>`;
  if (a.type === "audio")
    return html`<div class="file"><span>🎤 ${name}${size}</span><audio controls preload="metadata" src=${a.link}></audio></div>`;
  if (a.type === "video")
    return html`<div class="file"><video class="file-video" controls preload="metadata" src=${a.link}></video></div>`;
  return html`<a class="file" href=${a.link} target="_blank" rel="noopener noreferrer" download=${a.name ?? ""}>📎 ${name}${size}</a>`;
}

function windowText(t, w, now) {
  if (!w) return t("window_none");
  // Zalo: free replies for 48 h after the user's message, billed after that until the window closes.
  if (w.freeUntil !== undefined && now < w.freeUntil && now < w.botUntil)
    return t("window_free", { time: duration(t, w.freeUntil - now) });
  if (w.freeUntil !== undefined && now < w.botUntil) return t("window_paid", { time: duration(t, w.botUntil - now) });
  if (now < w.botUntil) return t("window_left", { time: duration(t, w.botUntil - now) });
  if (now < w.personUntil) return t("window_person", { time: duration(t, w.personUntil - now) });
  return t("window_closed");
}

function Details({ t, view, now, names, onOpen, open }) {
  const r = view.request;
  const fields = Object.entries(r.fields ?? {});
  return html`<aside class=${`details${open ? " open" : ""}`} id="conv-details" aria-label=${t("fields")}>
    <dl>
      <dt>${t("user")}</dt><dd>${r.displayName ?? "?"} <small>(${r.channel}:${r.userId})</small></dd>
      <dt>${t("channel")}</dt><dd>${view.channel.name}</dd>
      <dt>${t("window")}</dt><dd class="window">${windowText(t, view.window, now)}</dd>
      <dt>${t("assignee")}</dt><dd>${r.assignee ? (names[r.assignee] ?? r.assignee) : t("nobody")}</dd>
      <dt>${t("status")}</dt><dd>${t(`status_${r.status}`)}</dd>
    </dl>
    <h3>${t("fields")}</h3>
    ${fields.length ? html`<dl class="fields">${fields.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>` : html`<p class="muted">${t("no_fields")}</p>`}
    <h3>${t("other_requests")}</h3>
    ${
      view.others.length
        ? html`<ul class="others">${view.others.map(
            (o) =>
              html`<li><button class="link" onClick=${() => onOpen(o.id)}>${o.id}</button> · ${o.title} · ${t(`status_${o.status}`)}</li>`,
          )}</ul>`
        : html`<p class="muted">${t("none")}</p>`
    }
  </aside>`;
}

function Composer({ t, view, canned, onSend, mode, setMode, composerRef }) {
  const [text, setText] = useState("");
  /** Files uploaded for the next reply: `{mediaId, name, type}`. */
  const [files, setFiles] = useState([]);
  const [uploading, setUploading] = useState(false);
  const [fileError, setFileError] = useState("");
  const picker = useRef(null);
  const [pick, setPick] = useState(0);
  const [busy, setBusy] = useState(false);
  const resolved = view.request.status === "resolved";
  useEffect(() => {
    setText("");
    setFiles([]);
    setFileError("");
  }, [view.request.id]);
  const addFiles = async (list) => {
    setFileError("");
    setUploading(true);
    for (const file of list) {
      const r = await api.upload(file);
      if (r.ok && r.data.attachment) setFiles((f) => [...f, { ...r.data.attachment, name: file.name }]);
      else setFileError(t("file_upload_failed", { name: file.name, error: r.data.error ?? r.status }));
    }
    setUploading(false);
  };
  const filter = mode === "reply" && /^\/\S*$/.test(text) ? text.slice(1).toLowerCase() : undefined;
  const choices = filter === undefined ? [] : canned.filter((c) => c.shortcut.startsWith(filter)).slice(0, 8);
  useEffect(() => setPick(0), [filter]);
  const choose = (c) => {
    setText(c.text);
    composerRef.current?.focus();
  };
  const send = async () => {
    const words = text.trim();
    const attached = mode === "reply" ? files : [];
    if ((!words && !attached.length) || busy || uploading) return;
    setBusy(true);
    const ok = await onSend(
      mode,
      words,
      attached.map((f) => f.mediaId),
    );
    setBusy(false);
    if (ok) {
      setText("");
      if (mode === "reply") setFiles([]);
    }
  };
  const onKey = (e) => {
    if (filter !== undefined) {
      if (e.key === "ArrowDown" && choices.length) {
        e.preventDefault();
        return setPick((pick + 1) % choices.length);
      }
      if (e.key === "ArrowUp" && choices.length) {
        e.preventDefault();
        return setPick((pick - 1 + choices.length) % choices.length);
      }
      if ((e.key === "Enter" || e.key === "Tab") && choices[pick]) {
        e.preventDefault();
        return choose(choices[pick]);
      }
      if (e.key === "Escape") {
        e.preventDefault();
        return setText("");
      }
    }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  };
  const listId = "canned-choices";
  return html`<div class=${`composer ${mode}`}>
    <div class="modes" role="tablist" aria-label=${t("reply")}>
      <button role="tab" aria-selected=${mode === "reply" ? "true" : "false"} class=${mode === "reply" ? "tab on" : "tab"}
        disabled=${resolved} onClick=${() => setMode("reply")}>${t("reply")}</button>
      <button role="tab" aria-selected=${mode === "note" ? "true" : "false"} class=${mode === "note" ? "tab on" : "tab"}
        onClick=${() => setMode("note")}>${t("write_note")}</button>
    </div>
    ${
      filter !== undefined &&
      html`<ul class="canned-picker" id=${listId} role="listbox" aria-label=${t("canned")}>
      ${choices.length === 0 && html`<li class="muted">${t("canned_none")}</li>`}
      ${choices.map(
        (c, i) => html`<li id=${`canned-${c.id}`} role="option" aria-selected=${i === pick ? "true" : "false"}
          class=${i === pick ? "on" : ""} onMouseDown=${(e) => {
            e.preventDefault();
            choose(c);
          }}><b>/${c.shortcut}</b> <span>${c.text}</span></li>`,
      )}
    </ul>`
    }
    <div class="compose-row">
      <textarea ref=${composerRef} rows="3" value=${text} disabled=${resolved && mode === "reply"}
        aria-label=${mode === "reply" ? t("reply") : t("write_note")}
        placeholder=${mode === "reply" ? t("reply_placeholder") : t("note_placeholder")}
        aria-controls=${filter !== undefined ? listId : undefined}
        aria-activedescendant=${choices[pick] ? `canned-${choices[pick].id}` : undefined}
        onInput=${(e) => setText(e.currentTarget.value)} onKeyDown=${onKey}></textarea>
      ${
        mode === "reply" &&
        html`<input ref=${picker} type="file" multiple class="sr-only" tabindex="-1" aria-hidden="true"
          onChange=${(e) => {
            const list = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = "";
            void addFiles(list);
          }} />
        <button class="attach" title=${t("attach")} aria-label=${t("attach")} disabled=${resolved || uploading}
          onClick=${() => picker.current?.click()}>📎</button>`
      }
      <button class="primary" onClick=${send}
        disabled=${busy || uploading || (!text.trim() && !(mode === "reply" && files.length)) || (resolved && mode === "reply")}>
        ${mode === "reply" ? t("send") : t("save_note")}</button>
    </div>
    ${
      mode === "reply" &&
      (files.length > 0 || uploading || fileError) &&
      html`<div class="attached" aria-live="polite">
        ${files.map(
          (f, i) => html`<span class="chip" key=${f.mediaId}>📎 ${f.name}
            <button class="link" aria-label=${t("file_remove", { name: f.name })}
              onClick=${() => setFiles(files.filter((_, j) => j !== i))}>×</button></span>`,
        )}
        ${uploading && html`<span class="muted">${t("file_uploading")}</span>`}
        ${fileError && html`<span class="error" role="alert">${fileError}</span>`}
      </div>`
    }
  </div>`;
}

function Conversation({
  t,
  lang,
  me,
  view,
  now,
  names,
  operators,
  canned,
  act,
  onBack,
  onOpen,
  mode,
  setMode,
  composerRef,
  confirming,
  setConfirming,
}) {
  const r = view.request;
  const [assignTo, setAssignTo] = useState("");
  const [info, setInfo] = useState(false);
  useEffect(() => {
    setConfirming(false);
    setAssignTo("");
  }, [r.id, setConfirming]);
  const resolved = r.status === "resolved";
  const lead = RANK[me.role] >= RANK.lead;
  return html`<section class="conversation" aria-labelledby="conv-title">
    <header class="conv-head">
      <button class="back" onClick=${onBack} aria-label=${t("back_to_list")}>←</button>
      <h2 id="conv-title"><span class="rid">${r.id}</span> ${r.displayName ?? r.userId} <small>${r.title}</small></h2>
      <span class=${`prio p-${r.priority}`}>${t(`priority_${r.priority}`)}</span>
      <span class="status">${t(`status_${r.status}`)}</span>
      <span class="window-chip" title=${t("window")}>${view.channel.name} · ${windowText(t, view.window, now)}</span>
      <button class="info-toggle" aria-expanded=${info ? "true" : "false"} aria-controls="conv-details"
        onClick=${() => setInfo(!info)}>${t("details")}</button>
    </header>
    <div class="actions" role="toolbar" aria-label=${r.id}>
      ${!resolved && r.assignee !== me.name && html`<button onClick=${() => act("take")}>${t("take")}</button>`}
      ${
        !resolved &&
        lead &&
        html`<span class="assign"><label for="assign-to" class="sr-only">${t("assign_to")}</label>
        <select id="assign-to" value=${assignTo} onChange=${(e) => setAssignTo(e.currentTarget.value)}>
          <option value="">${t("assign_to")}…</option>
          ${operators.map((o) => html`<option value=${o.name}>${o.displayName}</option>`)}
        </select>
        <button disabled=${!assignTo} onClick=${() => act("assign", { operator: assignTo })}>${t("assign")}</button></span>`
      }
      ${!resolved && html`<button onClick=${() => setConfirming(true)}>${t("close")}</button>`}
      ${!resolved && html`<button onClick=${() => act("back-to-bot")}>${t("back_to_bot")}</button>`}
      ${resolved && html`<button onClick=${() => act("reopen")}>${t("reopen")}</button>`}
      <a class="button" href=${`/api/requests/${encodeURIComponent(r.id)}/export`} download=${`${r.id}.json`}>${t("export_json")}</a>
      <a class="button" href=${`/api/requests/${encodeURIComponent(r.id)}/export?format=html&lang=${lang}`} target="_blank" rel="noopener">${t("print")}</a>
      ${lead && r.userId !== "~erased" && html`<${PersonData} t=${t} r=${r} />`}
    </div>
    ${r.dueAt && html`<p class="due" role="note">${t("due_by", { time: new Date(r.dueAt).toLocaleString(lang === "en" ? "en-GB" : "vi-VN") })}</p>`}
    ${
      confirming &&
      html`<div class="confirm" role="alertdialog" aria-label=${t("confirm_close", { id: r.id })}>
      <span>${t("confirm_close", { id: r.id })}</span>
      <button class="primary" onClick=${() => {
        setConfirming(false);
        act("close");
      }}>${t("close")}</button>
      <button onClick=${() => setConfirming(false)}>${t("cancel")}</button>
    </div>`
    }
    <div class="conv-body">
      <div class="conv-main">
        <${Transcript} t=${t} lang=${lang} view=${view} names=${names} />
        <${Composer} t=${t} view=${view} canned=${canned} mode=${mode} setMode=${setMode} composerRef=${composerRef}
          onSend=${(m, text, attachments) =>
            act(m === "reply" ? "reply" : "notes", {
              ...(text ? { text } : {}),
              ...(attachments?.length ? { attachments } : {}),
            })} />
      </div>
      <${Details} t=${t} view=${view} now=${now} names=${names} onOpen=${onOpen} open=${info} />
    </div>
  </section>`;
}

/**
 * A person's data (leads and admins): download everything hotro holds about them, or erase
 * it everywhere after checking who asked (the server records both in the audit log).
 */
function PersonData({ t, r }) {
  const [done, setDone] = useState("");
  const path = `/people/${encodeURIComponent(r.channel)}/${encodeURIComponent(r.userId)}`;
  const erase = async () => {
    if (!confirm(t("confirm_erase", { user: r.displayName ?? r.userId }))) return;
    const res = await api.call("DELETE", path);
    setDone(res.ok ? t("erased", { n: res.data.erased.requests.length }) : (res.data.error ?? String(res.status)));
  };
  return html`<span class="person-data">
    <a class="button" href=${`/api${path}/export`} download>${t("person_export")}</a>
    <button class="danger" onClick=${erase}>${t("person_erase")}</button>
    ${done && html`<span role="status">${done}</span>`}
  </span>`;
}

// ------------------------------------------------------------------ dialogs

function Dialog({ t, title, onClose, children }) {
  useEffect(() => {
    const k = (e) => e.key === "Escape" && onClose();
    addEventListener("keydown", k);
    return () => removeEventListener("keydown", k);
  }, [onClose]);
  return html`<div class="overlay" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class="dialog" role="dialog" aria-modal="true" aria-label=${title}>
      <header><h2>${title}</h2><button class="link" onClick=${onClose}>${t("close_dialog")}</button></header>
      ${children}
    </div>
  </div>`;
}

function CannedManager({ t, onClose, onError }) {
  const [items, setItems] = useState([]);
  const [edit, setEdit] = useState({ id: "", shortcut: "", text: "" });
  const load = useCallback(async () => {
    const r = await api.get("/canned");
    if (r.ok) setItems(r.data.canned);
  }, []);
  useEffect(() => void load(), [load]);
  const save = async (e) => {
    e.preventDefault();
    const body = { shortcut: edit.shortcut, text: edit.text };
    const r = edit.id ? await api.call("PUT", `/canned/${edit.id}`, body) : await api.post("/canned", body);
    if (!r.ok) return onError(r.data.error);
    setEdit({ id: "", shortcut: "", text: "" });
    await load();
  };
  const remove = async (id) => {
    const r = await api.call("DELETE", `/canned/${id}`);
    if (!r.ok) onError(r.data.error);
    await load();
  };
  return html`<${Dialog} t=${t} title=${t("canned_manage")} onClose=${onClose}>
    <ul class="canned-list">
      ${items.length === 0 && html`<li class="muted">${t("canned_none")}</li>`}
      ${items.map(
        (c) => html`<li><b>/${c.shortcut}</b> <span>${c.text}</span>
          <button class="link" onClick=${() => setEdit(c)}>${t("edit")}</button>
          <button class="link danger" onClick=${() => remove(c.id)}>${t("delete")}</button></li>`,
      )}
    </ul>
    <form class="canned-form" onSubmit=${save}>
      <label for="canned-shortcut">${t("shortcut")}</label>
      <input id="canned-shortcut" required pattern="/?[a-z0-9_-]{1,32}" value=${edit.shortcut}
        onInput=${(e) => setEdit({ ...edit, shortcut: e.currentTarget.value })} />
      <label for="canned-text">${t("text")}</label>
      <textarea id="canned-text" required rows="4" value=${edit.text}
        onInput=${(e) => setEdit({ ...edit, text: e.currentTarget.value })}></textarea>
      <p class="muted">${t("canned_vars")}</p>
      <div><button class="primary" type="submit">${edit.id ? t("save") : t("add")}</button>
      ${edit.id && html`<button type="button" onClick=${() => setEdit({ id: "", shortcut: "", text: "" })}>${t("cancel")}</button>`}</div>
    </form>
  <//>`;
}

// ------------------------------------------------------------------ the desk

function seenKey(me) {
  return `hotro-console-seen:${me.name}`;
}

function Desk({ t, lang, onLang, me, onOut }) {
  const [queue, setQueue] = useState("new");
  const [filters, setFilters] = useState({ status: "", priority: "", channel: "", assignee: "", sort: "" });
  const [tab, setTab] = useState("desk");
  const [q, setQ] = useState("");
  const [page, setPage] = useState({ requests: [], counts: {} });
  const [selected, setSelected] = useState(undefined);
  const [view, setView] = useState(undefined);
  const [canned, setCanned] = useState([]);
  const [operators, setOperators] = useState([]);
  const [online, setOnline] = useState([]);
  const [live, setLive] = useState("reconnecting");
  const [toast, setToast] = useState("");
  const [alert, setAlert] = useState("");
  const [dialog, setDialog] = useState(undefined);
  const [mode, setMode] = useState("reply");
  const [confirming, setConfirming] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [alerts, setAlerts] = useState(typeof Notification !== "undefined" && Notification.permission === "granted");
  const [seen, setSeen] = useState(() => {
    try {
      return JSON.parse(localStorage.getItem(seenKey(me)) ?? "{}");
    } catch {
      return {};
    }
  });
  const composerRef = useRef(null);
  const searchRef = useRef(null);
  const state = useRef({});
  state.current = { queue, filters, q, selected, page, view, alerts };
  const names = useMemo(() => Object.fromEntries(operators.map((o) => [o.name, o.displayName])), [operators]);

  const loadList = useCallback(async () => {
    const s = state.current;
    const p = new URLSearchParams({ queue: s.queue, limit: "200" });
    for (const [k, v] of Object.entries(s.filters)) if (v) p.set(k, v);
    if (s.q.trim()) p.set("q", s.q.trim());
    const r = await api.get(`/requests?${p}`);
    if (r.ok) setPage(r.data);
  }, []);
  const loadView = useCallback(async (id = state.current.selected) => {
    if (!id) return;
    const [v, c] = await Promise.all([
      api.get(`/requests/${encodeURIComponent(id)}`),
      api.get(`/requests/${encodeURIComponent(id)}/canned`),
    ]);
    if (state.current.selected !== id) return;
    if (v.ok) setView(v.data);
    else if (v.status === 404) setView(undefined);
    if (c.ok) setCanned(c.data.canned);
  }, []);
  const loadOperators = useCallback(async () => {
    const r = await api.get("/operators");
    if (r.ok) setOperators(r.data.operators);
  }, []);

  // Debounced refetches: a burst of live events costs one request each.
  const timers = useRef({});
  const soon = useCallback((what, fn, ms) => {
    clearTimeout(timers.current[what]);
    timers.current[what] = setTimeout(fn, ms);
  }, []);

  useEffect(() => void loadList(), [queue, filters, loadList]);
  useEffect(() => soon("search", loadList, 300), [q, loadList, soon]);
  useEffect(() => {
    setView(undefined);
    setCanned([]);
    void loadView(selected);
  }, [selected, loadView]);
  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 30_000);
    // A safety net under the live feed: whatever it may have missed shows within a minute.
    const j = setInterval(() => void loadList(), 60_000);
    return () => {
      clearInterval(i);
      clearInterval(j);
    };
  }, [loadList]);

  // Mark a conversation read while it is open.
  useEffect(() => {
    if (!view) return;
    const at = view.request.lastUserAt ?? 0;
    if ((seen[view.request.id] ?? 0) >= at) return;
    const next = { ...seen, [view.request.id]: at };
    setSeen(next);
    try {
      localStorage.setItem(seenKey(me), JSON.stringify(next));
    } catch {
      // storage full or off: markers stay for this page only
    }
  }, [view, seen, me]);
  const unread = useCallback(
    (r) => r.id !== selected && !!r.waitingSince && !!r.lastUserAt && (seen[r.id] ?? 0) < r.lastUserAt,
    [seen, selected],
  );

  const announce = useCallback(
    (kind, id) => {
      const text = t(kind === "new" ? "notify_new" : "notify_message", { id });
      setAlert(text);
      if (!state.current.alerts) return;
      chime();
      if (
        typeof Notification !== "undefined" &&
        Notification.permission === "granted" &&
        (document.hidden || !document.hasFocus())
      ) {
        const n = new Notification(text, { tag: `${kind}:${id}`, body: t("title") });
        n.onclick = () => {
          focus();
          setSelected(id);
        };
      }
    },
    [t],
  );

  const notified = useRef(new Set());
  const onEvent = useCallback(
    (f) => {
      const s = state.current;
      if (f.type === "hello") setOnline(f.online);
      else if (f.type === "presence") setOnline(f.online);
      else if (f.type === "canned") soon("canned", () => loadView(), 200);
      else if (f.type === "notice") setToast(f.notice.text);
      else if (f.type === "request") {
        const r = f.request;
        const before = s.page.requests.find((x) => x.id === r.id);
        const escalated =
          r.handoff && r.status === "open" && !r.assignee && (f.change === "created" || (before && !before.handoff));
        if (escalated && !notified.current.has(r.id)) {
          notified.current.add(r.id);
          announce("new", r.id);
        }
        soon("list", loadList, 600);
        if (r.id === s.selected) soon("view", () => loadView(), 150);
      } else if (f.type === "entry") {
        const mine =
          s.page.requests.find((x) => x.id === f.requestId)?.assignee === me.name ||
          s.view?.request.assignee === me.name;
        if (f.entry.from === "user" && !f.entry.kind && mine && !(f.requestId === s.selected && document.hasFocus()))
          announce("message", f.requestId);
        soon("list", loadList, 600);
        if (f.requestId === s.selected) soon("view", () => loadView(), 150);
      }
    },
    [announce, loadList, loadView, me.name, soon, setToast],
  );

  useEffect(() => {
    void loadOperators();
    const feed = new LiveFeed({
      onState: (st) => {
        setLive(st);
        // Connected again: fetch what may have been missed meanwhile.
        if (st === "live") {
          void loadList();
          void loadView();
        }
      },
      onEvent,
      onEnded: () => onOut(t("session_over")),
    });
    feed.start();
    return () => feed.stop();
  }, [loadList, loadView, loadOperators, onEvent, onOut, t]);

  const act = useCallback(
    async (what, body) => {
      const id = state.current.selected;
      if (!id) return false;
      const r = await api.post(`/requests/${encodeURIComponent(id)}/${what}`, body);
      if (!r.ok) {
        if (r.status === 409 && r.data.assignee && what === "take")
          setToast(t("taken_by_other", { id, name: r.data.assigneeName ?? r.data.assignee }));
        else setToast(t("error", { error: r.data.error ?? r.status }));
        void loadView();
        return false;
      }
      setToast("");
      void loadList();
      void loadView();
      return true;
    },
    [loadList, loadView, t],
  );

  // Keyboard: j/k next/previous, r reply, n note, t take, c close, / search, ? help.
  useEffect(() => {
    const onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target) || dialog) return;
      const list = state.current.page.requests;
      const i = list.findIndex((x) => x.id === state.current.selected);
      if (e.key === "j" || e.key === "k") {
        const next = list[e.key === "j" ? Math.min(list.length - 1, i + 1) : Math.max(0, i - 1)];
        if (next) {
          setSelected(next.id);
          document.querySelector(`[data-id="${next.id}"]`)?.scrollIntoView({ block: "nearest" });
        }
      } else if (e.key === "r" || e.key === "n") {
        setMode(e.key === "r" ? "reply" : "note");
        setTimeout(() => composerRef.current?.focus(), 0);
      } else if (e.key === "t") void act("take");
      // Closing tells the user: the key asks first, like the button.
      else if (e.key === "c" && state.current.view && state.current.view.request.status !== "resolved")
        setConfirming(true);
      else if (e.key === "/") searchRef.current?.focus();
      else if (e.key === "?") setDialog("help");
      else return;
      e.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [act, dialog]);

  const enableAlerts = async () => {
    unlockSound();
    if (typeof Notification !== "undefined" && Notification.permission === "default")
      await Notification.requestPermission();
    setAlerts(true);
  };
  const logout = async () => {
    await api.post("/logout");
    onOut("");
  };
  const notifLabel =
    typeof Notification !== "undefined" && Notification.permission === "denied"
      ? t("notifications_blocked")
      : alerts
        ? t("notifications_enabled")
        : t("notifications_on");

  return html`<div class=${`desk${selected ? " show-conv" : ""}`}>
    <header class="top">
      <h1>${t("title")}<span class="brand">${document.body.dataset.brand ?? ""}</span></h1>
      <span class=${`live ${live}`} role="status">${live === "live" ? t("live") : t("reconnecting")}</span>
      <div class="online" aria-label=${t("online")}>
        <span class="sr-only">${t("online")}:</span>
        ${online.length ? online.map((o) => html`<span class="who-online" title=${o.name}>${o.displayName}</span>`) : html`<span class="muted">${t("nobody_online")}</span>`}
      </div>
      <div class="top-actions">
        <button onClick=${enableAlerts} aria-pressed=${alerts ? "true" : "false"}>${notifLabel}</button>
        ${
          RANK[me.role] >= RANK.lead &&
          html`<button aria-pressed=${tab === "dashboard" ? "true" : "false"}
          onClick=${() => setTab(tab === "dashboard" ? "desk" : "dashboard")}>${tab === "dashboard" ? t("back_to_desk") : t("dashboard")}</button>`
        }
        ${RANK[me.role] >= RANK.lead && html`<button onClick=${() => setDialog("canned")}>${t("canned")}</button>`}
        ${me.role === "admin" && html`<a class="button" href="/api/audit?download=1&limit=5000" download="audit.json">${t("audit_log")}</a>`}
        <button onClick=${() => setDialog("help")} aria-label=${t("shortcuts")}>?</button>
        <button class="link" onClick=${onLang} lang=${lang === "vi" ? "en" : "vi"}>${t("switch_language")}</button>
        <span class="me">${me.displayName} · ${t(`role_${me.role}`)}</span>
        <button onClick=${logout}>${t("logout")}</button>
      </div>
    </header>
    <div class="sr-only" role="status" aria-live="assertive" data-alert>${alert}</div>
    ${toast && html`<div class="toast" role="alert">${toast}<button class="link" onClick=${() => setToast("")} aria-label=${t("close_dialog")}>×</button></div>`}
    ${tab === "dashboard" && html`<${Dashboard} t=${t} api=${api} />`}
    <div class="panes" hidden=${tab === "dashboard"}>
      <nav class="inbox" aria-label=${t("requests_list")}>
        <${QueueTabs} t=${t} queue=${queue} counts=${page.counts} onQueue=${setQueue} />
        <div class="search"><input ref=${searchRef} type="search" aria-label=${t("search")} placeholder=${t("search")} value=${q}
          onInput=${(e) => setQ(e.currentTarget.value)} /></div>
        <${Filters} t=${t} filters=${filters} setFilters=${setFilters} operators=${operators} me=${me} />
        <${RequestList} t=${t} items=${page.requests} selected=${selected} onSelect=${setSelected} unread=${unread} now=${now} names=${names} />
      </nav>
      <main class="main">
        ${
          view
            ? html`<${Conversation} t=${t} lang=${lang} me=${me} view=${view} now=${now} names=${names} operators=${operators}
              canned=${canned} act=${act} onBack=${() => setSelected(undefined)} onOpen=${setSelected}
              mode=${mode} setMode=${setMode} composerRef=${composerRef} confirming=${confirming} setConfirming=${setConfirming} />`
            : html`<p class="empty pick">${t("pick_request")}</p>`
        }
      </main>
    </div>
    ${dialog === "canned" && html`<${CannedManager} t=${t} onClose=${() => setDialog(undefined)} onError=${(e) => setToast(t("error", { error: e }))} />`}
    ${dialog === "help" && html`<${Dialog} t=${t} title=${t("shortcuts")} onClose=${() => setDialog(undefined)}><p>${t("shortcuts_help")}</p><//>`}
  </div>`;
}

// ------------------------------------------------------------------ the app

function App() {
  const [lang, setLang] = useState(
    () => localStorage.getItem("hotro-console-lang") ?? document.body.dataset.lang ?? "vi",
  );
  const [me, setMe] = useState(undefined);
  const [booting, setBooting] = useState(true);
  const [notice, setNotice] = useState("");
  const t = useMemo(() => translator(lang), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${t("title")}${document.body.dataset.brand ? ` · ${document.body.dataset.brand}` : ""}`;
  }, [lang, t]);
  const onLang = () => {
    const next = lang === "vi" ? "en" : "vi";
    localStorage.setItem("hotro-console-lang", next);
    setLang(next);
  };
  const onOut = useCallback((why) => {
    api.csrf = "";
    setNotice(why);
    setMe(undefined);
  }, []);
  useEffect(() => {
    api.onUnauthorized = () => onOut(translator(lang)("session_over"));
  }, [lang, onOut]);
  useEffect(() => {
    (async () => {
      const r = await api.get("/me");
      if (r.ok && r.data.csrf) {
        api.csrf = r.data.csrf;
        setMe(r.data.operator);
      }
      setBooting(false);
    })();
  }, []);
  if (booting) return html`<p class="boot">${t("title")}…</p>`;
  if (!me)
    return html`<${Login} t=${t} lang=${lang} onLang=${onLang} notice=${notice} onIn=${(op, csrf) => {
      api.csrf = csrf;
      setNotice("");
      setMe(op);
    }} />`;
  return html`<${Desk} t=${t} lang=${lang} onLang=${onLang} me=${me} onOut=${onOut} />`;
}

(async () => {
  try {
    const res = await fetch("/console/strings.json", { cache: "no-cache" });
    STRINGS = await res.json();
  } catch {
    // keys are shown instead of words: still usable
  }
  render(html`<${App} />`, document.getElementById("app"));
})();
