/*
 * hotro live chat, in the browser. Served from source (no build step, no dependencies):
 *   - the page at / loads it with data-mode="page" and shows the chat full-size;
 *   - any site embeds it with <script src="https://<chat host>/webchat/widget.js" data-lang="vi" defer>
 *     and gets a chat button in the corner.
 * The chat lives in a shadow root, so the host site's styles and ours never mix. It talks to
 * the server over one WebSocket (/webchat/ws), reconnects by itself with backoff, and keeps the
 * visitor's id and secret in localStorage so a reload continues the conversation with its
 * history (the id alone gets a new conversation: operators see ids, never secrets).
 */
(() => {
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement) || !script.src) return;
  const server = new URL(script.src, location.href).origin;
  const mode = script.dataset.mode === "page" ? "page" : "widget";
  const asked =
    script.dataset.lang || new URLSearchParams(location.search).get("lang") || document.documentElement.lang;
  const STORE_KEY = `hotro-webchat:${server}`;
  const VISITOR = /^[A-Za-z0-9_-]{16,64}$/;
  const SECRET = /^[A-Za-z0-9_-]{43}$/;
  /** Shows nothing (whitespace, zero-width characters, BOM, soft hyphen…): not sent, as the server refuses it. */
  const BLANK = /^[\s\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]*$/u;
  const SVG = "http://www.w3.org/2000/svg";
  const ICON_CHAT =
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5h2v2H7zm4 0h2v2h-2zm4 0h2v2h-2z";
  const ICON_SEND = "M3 20.5 21 12 3 3.5 3 10l12 2-12 2z";
  const ICON_ATTACH =
    "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z";

  /**
   * The visitor's credentials, `{"visitor": …, "secret": …}`. localStorage can be off (private
   * mode, blocked storage): then the visitor lasts this tab. A bare id stored by an earlier
   * version has no secret: it is dropped and the server makes a new visitor.
   */
  const store = {
    get() {
      try {
        const value = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
        if (value && VISITOR.test(value.visitor) && SECRET.test(value.secret)) return value;
      } catch {
        // not JSON: an earlier version's bare id
      }
      return null;
    },
    set(value) {
      try {
        localStorage.setItem(STORE_KEY, JSON.stringify(value));
      } catch {
        // nothing to do: the conversation continues until the tab closes
      }
    },
  };

  /** crypto.randomUUID needs a secure context; getRandomValues works on plain http too. */
  const randomId = () => {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const backoff = (attempt) => Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
  const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  const countChars = (s) => Array.from(s).length;

  function h(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function icon(path) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    svg.append(p);
    return svg;
  }

  async function loadConfig(lang) {
    const url = `${server}/webchat/config?lang=${encodeURIComponent(lang)}`;
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        const res = await fetch(url, { credentials: "omit" });
        if (res.ok) return await res.json();
      } catch {
        // offline, or refused by CORS: this site's origin may be missing from webchat.allowed_origins
      }
      await sleep(backoff(attempt));
    }
    console.warn(`hotro webchat: ${server} does not answer, or does not allow this site (webchat.allowed_origins)`);
    return null;
  }

  async function main() {
    const cfg = await loadConfig((asked || "").slice(0, 2).toLowerCase());
    if (!cfg) return;
    const t = cfg.texts;
    const lang = cfg.lang;

    // ------------------------------------------------------------ the interface

    const host = document.createElement("div");
    host.className = mode === "page" ? "hotro-host hotro-page-host" : "hotro-host";
    host.style.visibility = "hidden"; // until the style sheet is in
    const root = host.attachShadow({ mode: "open" });
    const sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = `${server}/webchat/widget.css`;
    sheet.addEventListener("load", () => host.style.removeProperty("visibility"));
    sheet.addEventListener("error", () => host.style.removeProperty("visibility"));

    const shell = h("div", `hc hc-${mode}`);
    shell.lang = lang;
    const panel = h("section", "hc-panel");
    panel.id = "hc-panel";
    panel.setAttribute("aria-labelledby", "hc-title");

    const head = h("header", "hc-head");
    const avatar = h("span", "hc-avatar");
    avatar.append(icon(ICON_CHAT));
    const id = h("div", "hc-id");
    const title = h(mode === "page" ? "h1" : "h2", "hc-title", t.title);
    title.id = "hc-title";
    id.append(title, h("p", "hc-sub", t.subtitle));
    head.append(avatar, id);

    const status = h("p", "hc-status");
    status.setAttribute("role", "status");

    const scroller = h("div", "hc-scroll");
    const log = h("ol", "hc-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-relevant", "additions");
    log.setAttribute("aria-label", t.messages_label);
    const typing = h("div", "hc-typing");
    typing.hidden = true;
    const dots = h("span", "hc-dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(h("i"), h("i"), h("i"));
    typing.append(dots, h("span", "hc-sr", t.typing));
    const quick = h("div", "hc-quick");
    quick.setAttribute("role", "group");
    quick.setAttribute("aria-label", t.quick_replies_label);
    quick.hidden = true;
    scroller.append(log, typing, quick);

    const error = h("p", "hc-error");
    error.setAttribute("role", "alert");
    error.hidden = true;

    const form = h("form", "hc-form");
    const label = h("label", "hc-sr", t.input_label);
    label.htmlFor = "hc-input";
    const field = h("div", "hc-field");
    const input = h("textarea", "hc-input");
    input.id = "hc-input";
    input.rows = 1;
    input.placeholder = t.placeholder;
    input.setAttribute("enterkeyhint", "send");
    input.setAttribute("aria-describedby", "hc-count");
    const counter = h("span", "hc-count");
    counter.id = "hc-count";
    field.append(input, counter);
    const send = h("button", "hc-send");
    send.type = "submit";
    send.setAttribute("aria-label", t.send);
    send.append(icon(ICON_SEND));
    // A file: the limits are shown before one is picked (the hint under the composer).
    const upload = cfg.upload && cfg.upload.maxBytes > 0 ? cfg.upload : null;
    const maxMb = upload ? Math.round(upload.maxBytes / (1024 * 1024)) : 0;
    const picker = h("input", "hc-sr");
    picker.type = "file";
    picker.accept = "image/jpeg,image/png,image/gif,image/webp,application/pdf,.doc,.docx,.xls,.xlsx,audio/*,video/*";
    picker.tabIndex = -1;
    const attach = h("button", "hc-attach");
    attach.type = "button";
    attach.setAttribute("aria-label", t.attach);
    attach.setAttribute("aria-describedby", "hc-limits");
    attach.title = `${t.attach} · ${fill(t.attach_limits, { max: maxMb })}`;
    attach.append(icon(ICON_ATTACH));
    const limits = h("p", "hc-limits", upload ? `📎 ${fill(t.attach_limits, { max: maxMb })}` : "");
    limits.id = "hc-limits";
    if (upload) form.append(picker, attach);
    form.append(label, field, send);

    panel.append(head, status, scroller, error, form);
    if (upload) panel.append(limits);

    let launcher = null;
    let badge = null;
    let open = mode === "page";
    if (mode === "page") {
      const other = lang === "vi" ? "en" : "vi";
      const switcher = h("a", "hc-lang", t.switch_language);
      switcher.href = `?lang=${other}`;
      switcher.hreflang = other;
      switcher.lang = other;
      head.append(switcher);
      shell.append(panel);
    } else {
      launcher = h("button", "hc-launcher");
      launcher.type = "button";
      launcher.setAttribute("aria-controls", "hc-panel");
      launcher.setAttribute("aria-expanded", "false");
      launcher.setAttribute("aria-label", t.open);
      badge = h("span", "hc-badge");
      badge.hidden = true;
      launcher.append(icon(ICON_CHAT), badge);
      const close = h("button", "hc-close", "×");
      close.type = "button";
      close.setAttribute("aria-label", t.close);
      close.addEventListener("click", () => setOpen(false));
      head.append(close);
      panel.setAttribute("role", "dialog");
      panel.hidden = true;
      launcher.addEventListener("click", () => setOpen(!open));
      panel.addEventListener("keydown", (ev) => {
        if (ev.key === "Escape") setOpen(false);
      });
      shell.append(launcher, panel);
    }
    root.append(sheet, shell);
    document.body.append(host);

    // ------------------------------------------------------------ state

    let socket = null;
    let greeted = false; // the current socket got its welcome
    let attempt = 0;
    let retry = 0;
    let typingTimer = 0;
    let errorTimer = 0;
    let unread = 0;
    /** `{visitor, secret}` once the server has made them; presented on every (re)connection. */
    let creds = store.get();
    /** The visitor whose conversation the log shows. */
    let shownVisitor = "";
    /** Refused as one new visitor too many: no reconnecting before this time (ms). */
    let holdUntil = 0;
    /** Sent and not acknowledged yet, by client id: resent after a reconnect (same id, so never twice). */
    const pending = new Map();
    /** Entries shown, by seq (the server's order). */
    const shown = new Map();

    function setOpen(value) {
      open = value;
      if (!launcher) return;
      panel.hidden = !value;
      launcher.setAttribute("aria-expanded", String(value));
      if (value) {
        unread = 0;
        updateBadge();
        connect();
        input.focus();
        scrollDown(true);
      } else {
        launcher.focus();
      }
    }

    function updateBadge() {
      if (!launcher || !badge) return;
      badge.hidden = unread === 0;
      launcher.setAttribute("aria-label", unread ? `${t.open} (${t.new_messages})` : t.open);
    }

    function setStatus(text) {
      status.textContent = text;
    }

    function showError(text) {
      error.textContent = text;
      error.hidden = false;
      clearTimeout(errorTimer);
      errorTimer = setTimeout(() => {
        error.hidden = true;
      }, 15_000);
    }

    function hideError() {
      error.hidden = true;
      error.textContent = "";
    }

    function startTyping() {
      typing.hidden = false;
      clearTimeout(typingTimer);
      // Nothing comes when a person has the conversation, or the bot has nothing to add.
      typingTimer = setTimeout(stopTyping, 12_000);
      scrollDown(false);
    }

    function stopTyping() {
      clearTimeout(typingTimer);
      typing.hidden = true;
    }

    /** Follow new messages while the visitor is at the bottom; leave them be while they read back. */
    let stick = true;
    function scrollDown(force) {
      if (!force && !stick) return;
      scroller.scrollTop = scroller.scrollHeight;
      stick = true;
    }
    scroller.addEventListener("scroll", () => {
      stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    });
    // A resized window (a phone's keyboard), an image loading: stay at the bottom if there.
    if (typeof ResizeObserver === "function") {
      const keep = new ResizeObserver(() => scrollDown(false));
      keep.observe(scroller);
      keep.observe(log);
    }

    // ------------------------------------------------------------ rendering

    function link(href, text, className) {
      const a = h("a", className, text);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }

    /** Text with its http(s) links made clickable; everything goes through textContent. */
    function richText(text) {
      const out = document.createDocumentFragment();
      const urls = /https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;
      let last = 0;
      for (const m of text.matchAll(urls)) {
        out.append(text.slice(last, m.index), link(m[0], m[0]));
        last = m.index + m[0].length;
      }
      out.append(text.slice(last));
      return out;
    }

    /** A file from hotro's signed link: a picture inline, a player for sound and video, else a link. */
    function fileOf(f) {
      const href = /^\//.test(f.link || "") ? `${server}${f.link}` : f.link || "";
      if (!/^https?:\/\//i.test(href)) return h("span", "hc-img-missing", `[${f.name || t.file}]`);
      if (f.type === "image") {
        const img = h("img", "hc-img");
        img.src = href;
        img.alt = f.name || t.image;
        img.loading = "lazy";
        return img;
      }
      if (f.type === "audio" || f.type === "video") {
        const player = h(f.type, `hc-${f.type}`);
        player.controls = true;
        player.preload = "metadata";
        player.src = href;
        return player;
      }
      const size = f.size ? ` (${(f.size / (1024 * 1024)).toFixed(1)} MB)` : "";
      return link(href, `📎 ${f.name || t.file}${size}`, "hc-file");
    }

    function buttonsOf(list) {
      const box = h("div", "hc-buttons");
      for (const b of list) {
        if (b.type === "postback") {
          const btn = h("button", "hc-btn", b.label);
          btn.type = "button";
          btn.addEventListener("click", () => postback(b.payload, b.label));
          box.append(btn);
        } else if (b.type === "url" && /^https?:\/\//i.test(b.url)) {
          box.append(link(b.url, b.label, "hc-btn"));
        } else if (b.type === "phone") {
          const a = h("a", "hc-btn", b.label);
          a.href = `tel:${String(b.phone).replace(/[^\d+]/g, "")}`;
          box.append(a);
        }
      }
      return box;
    }

    function render(entry) {
      const li = h("li", `hc-msg hc-${entry.from}`);
      li.dataset.seq = String(entry.seq);
      if (entry.from === "operator") {
        li.append(h("span", "hc-who", fill(t.operator, { name: entry.name || "" })));
      } else {
        li.append(h("span", "hc-sr", `${entry.from === "user" ? t.you : t.bot}:`));
      }
      const bubble = h("div", "hc-bubble");
      if (entry.text) bubble.append(richText(entry.text));
      if (entry.image) {
        if (/^https?:\/\//i.test(entry.image.url)) {
          const img = h("img", "hc-img");
          img.src = entry.image.url;
          img.alt = entry.image.caption || t.image;
          img.loading = "lazy";
          bubble.append(img);
        } else {
          bubble.append(h("span", "hc-img-missing", `[${t.image}]`));
        }
        if (entry.image.caption && entry.image.caption !== entry.text) bubble.append(h("div", "", entry.image.caption));
      }
      for (const f of entry.files || []) bubble.append(fileOf(f));
      if (entry.buttons?.length) bubble.append(buttonsOf(entry.buttons));
      li.append(bubble);
      if (entry.at) li.title = new Date(entry.at).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB");
      return li;
    }

    /** Show an entry once, in the server's order (live frames and acks can cross). */
    function add(entry, live) {
      if (!entry || typeof entry.seq !== "number" || shown.has(entry.seq)) return;
      shown.set(entry.seq, entry);
      let before = null;
      for (const li of log.children) {
        if (!li.dataset.seq || Number(li.dataset.seq) > entry.seq) {
          before = li;
          break;
        }
      }
      log.insertBefore(render(entry), before);
      if (entry.from !== "user") {
        stopTyping();
        if (live && !open) {
          unread++;
          updateBadge();
        }
      }
      renderQuick();
      scrollDown(entry.from === "user");
    }

    /**
     * Quick replies of the bot's latest turn (the messages after the visitor's last one: a turn
     * can end with a form question after the message that carried them). They go once the
     * visitor answers.
     */
    function renderQuick() {
      quick.replaceChildren();
      const choices = [];
      if (pending.size === 0) {
        const seqs = [...shown.keys()].sort((a, b) => b - a);
        for (const seq of seqs) {
          const entry = shown.get(seq);
          if (entry.from === "user") break;
          for (const q of [...(entry.quickReplies || [])].reverse()) {
            if (!choices.some((c) => c.payload === q.payload)) choices.unshift(q);
          }
        }
      }
      for (const q of choices) {
        const btn = h("button", "hc-btn", q.label);
        btn.type = "button";
        btn.addEventListener("click", () => postback(q.payload, q.label));
        quick.append(btn);
      }
      quick.hidden = choices.length === 0;
    }

    // ------------------------------------------------------------ sending

    function transmit(frame) {
      if (socket && greeted && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    }

    function queue(frame, text) {
      const li = h("li", "hc-msg hc-user hc-pending");
      li.append(h("span", "hc-sr", `${t.you} (${t.sending}):`), h("div", "hc-bubble", text));
      log.append(li);
      pending.set(frame.id, { frame, li, draft: frame.type === "message" ? frame.text : "" });
      renderQuick();
      hideError();
      startTyping();
      scrollDown(true);
      connect();
      transmit(frame);
    }

    function postback(payload, text) {
      queue({ type: "postback", id: randomId(), payload, text }, text);
    }

    function submit() {
      const text = input.value.normalize("NFC").trim();
      if (BLANK.test(text)) return;
      const count = countChars(text);
      if (count > cfg.maxChars) {
        showError(fill(t.too_long, { max: cfg.maxChars, count }));
        input.focus();
        return;
      }
      input.value = "";
      resize();
      queue({ type: "message", id: randomId(), text }, text);
    }

    /** Upload the picked file, then send a message carrying it (the bytes never go over the socket). */
    async function sendFile(file) {
      hideError();
      if (!upload || !file) return;
      if (file.size > upload.maxBytes) {
        showError(fill(t.file_too_large, { name: file.name, max: maxMb }));
        return;
      }
      if (!creds) {
        showError(t.failed);
        return;
      }
      const li = h("li", "hc-msg hc-user hc-pending");
      li.append(h("div", "hc-bubble", `${t.uploading} ${file.name}`));
      log.append(li);
      scrollDown(true);
      try {
        const res = await fetch(
          `${server}${upload.path}?name=${encodeURIComponent(file.name)}&lang=${encodeURIComponent(lang)}`,
          {
            method: "POST",
            credentials: "omit",
            headers: {
              "content-type": "application/octet-stream",
              "x-hotro-visitor": creds.visitor,
              "x-hotro-secret": creds.secret,
            },
            body: file,
          },
        );
        const answer = await res.json().catch(() => ({}));
        li.remove();
        if (!res.ok || !answer.attachment) {
          showError(answer.message || t.failed);
          return;
        }
        const text = input.value.normalize("NFC").trim();
        input.value = "";
        resize();
        queue({ type: "message", id: randomId(), text, attachments: [answer.attachment.mediaId] }, `📎 ${file.name}`);
      } catch {
        li.remove();
        showError(t.failed);
      }
    }

    attach.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      const file = picker.files?.[0];
      picker.value = "";
      void sendFile(file);
    });

    function resize() {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight + 3, 140)}px`;
      const count = countChars(input.value);
      const near = count > cfg.maxChars * 0.8;
      counter.textContent = near ? `${count}/${cfg.maxChars}` : "";
      counter.classList.toggle("hc-over", count > cfg.maxChars);
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit();
    });
    input.addEventListener("keydown", (ev) => {
      // Enter sends, Shift+Enter breaks the line; never while an IME (Telex, VNI) is composing.
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", resize);

    // ------------------------------------------------------------ the connection

    function onFrame(frame) {
      switch (frame.type) {
        case "welcome": {
          greeted = true;
          attempt = 0;
          holdUntil = 0;
          if (frame.secret && SECRET.test(frame.secret)) {
            creds = { visitor: frame.visitor, secret: frame.secret };
            store.set(creds);
          }
          // A new visitor (the stored one expired, or another tab replaced it): a new conversation.
          if (shownVisitor && shownVisitor !== frame.visitor) {
            log.replaceChildren();
            shown.clear();
            for (const p of pending.values()) log.append(p.li);
          }
          shownVisitor = frame.visitor;
          hideError();
          setStatus("");
          log.setAttribute("aria-busy", "true"); // the history is not news: do not read it all out
          for (const entry of frame.history || []) add(entry, false);
          log.setAttribute("aria-busy", "false");
          for (const p of pending.values()) transmit(p.frame);
          scrollDown(true);
          break;
        }
        case "ack": {
          const p = pending.get(frame.id);
          if (p) {
            p.li.remove();
            pending.delete(frame.id);
          }
          add(frame.entry, true);
          break;
        }
        case "message":
          add(frame.entry, true);
          break;
        case "typing":
          startTyping();
          break;
        case "error": {
          stopTyping();
          if (frame.code === "too_many_visitors") {
            // The server closes the socket: wait as long as it says before trying again.
            holdUntil = Date.now() + (Number(frame.retryAfterMs) || 60_000);
            setStatus(frame.message || t.unavailable);
          }
          const p = frame.id ? pending.get(frame.id) : undefined;
          if (p) {
            p.li.remove();
            pending.delete(frame.id);
            if (p.draft && !input.value) {
              input.value = p.draft;
              resize();
            }
            renderQuick();
          }
          showError(frame.message || t.failed);
          break;
        }
        default:
          break;
      }
    }

    function connect() {
      // Held (too many new visitors): the retry is already scheduled for when it ends.
      if (socket || holdUntil > Date.now()) return;
      clearTimeout(retry);
      setStatus(attempt ? t.reconnecting : t.connecting);
      let ws;
      try {
        ws = new WebSocket(`${server.replace(/^http/, "ws")}${cfg.ws}`);
      } catch {
        reconnectLater();
        return;
      }
      socket = ws;
      greeted = false;
      ws.addEventListener("open", () => {
        const hello = { type: "hello", lang };
        if (creds) {
          hello.visitor = creds.visitor;
          hello.secret = creds.secret;
        }
        ws.send(JSON.stringify(hello));
      });
      ws.addEventListener("message", (ev) => {
        let frame;
        try {
          frame = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (frame && typeof frame === "object") onFrame(frame);
      });
      ws.addEventListener("close", (ev) => {
        if (socket !== ws) return;
        socket = null;
        greeted = false;
        if (ev.code === 1009) showError(fill(t.too_long, { max: cfg.maxChars, count: "?" }));
        reconnectLater();
      });
    }

    function reconnectLater() {
      const held = holdUntil - Date.now();
      const delay = Math.max(backoff(attempt), held);
      attempt++;
      // While held, the status keeps the server's explanation (and when to come back).
      if (held <= 0) setStatus(attempt > 6 ? t.unavailable : t.reconnecting);
      clearTimeout(retry);
      retry = setTimeout(connect, delay);
    }

    window.addEventListener("online", () => {
      attempt = 0;
      if (holdUntil <= Date.now()) connect();
    });

    // The page connects at once; the widget when opened, or at once for a returning visitor
    // (so an operator's reply shows on the button while the chat is closed).
    if (mode === "page" || creds) connect();
    if (mode === "page") input.focus();
  }

  if (document.body) void main();
  else document.addEventListener("DOMContentLoaded", () => void main());
})();
