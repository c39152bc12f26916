/**
 * The console's two ways to the server: `/api` calls (with the login's CSRF token on every
 * write) and the live feed (`/api/live`, a WebSocket that reconnects by itself). The feed
 * carries no history: on every (re)connection the console fetches what it shows again.
 */

export class Api {
  constructor() {
    this.csrf = "";
    /** Called when the server no longer knows the login (expired, logged out elsewhere). */
    this.onUnauthorized = () => undefined;
  }

  async call(method, path, body) {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["x-csrf-token"] = this.csrf;
    let res;
    try {
      res = await fetch(`/api${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (err) {
      return { ok: false, status: 0, data: { error: err instanceof Error ? err.message : String(err) } };
    }
    let data = {};
    try {
      data = await res.json();
    } catch {
      data = {};
    }
    // Not for the login itself, nor for the first "who am I" of a page that was never logged in.
    if (res.status === 401 && path !== "/login" && path !== "/me") this.onUnauthorized();
    return { ok: res.ok, status: res.status, data };
  }

  get(path) {
    return this.call("GET", path);
  }

  post(path, body) {
    return this.call("POST", path, body);
  }

  /** A file's bytes to `POST /api/media` (the type is read from the bytes on the server). */
  async upload(file) {
    try {
      const res = await fetch(`/api/media?name=${encodeURIComponent(file.name)}`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/octet-stream", "x-csrf-token": this.csrf },
        body: file,
        credentials: "same-origin",
        cache: "no-store",
      });
      const data = await res.json().catch(() => ({}));
      if (res.status === 401) this.onUnauthorized();
      return { ok: res.ok, status: res.status, data };
    } catch (err) {
      return { ok: false, status: 0, data: { error: err instanceof Error ? err.message : String(err) } };
    }
  }
}

/**
 * The live feed. `onState("live" | "reconnecting")`, `onEvent(frame)`, `onEnded()` when the
 * server closed it because the login ended (4401). Reconnects with a growing, jittered wait.
 */
export class LiveFeed {
  constructor(handlers) {
    this.h = handlers;
    this.ws = undefined;
    this.attempt = 0;
    this.stopped = false;
    this.timer = undefined;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }

  connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.h.onState("live");
    };
    ws.onmessage = (m) => {
      try {
        this.h.onEvent(JSON.parse(m.data));
      } catch {
        // a frame the console does not read: ignored
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws || this.stopped) return;
      this.h.onState("reconnecting");
      if (e.code === 4401) {
        this.h.onEnded();
        return;
      }
      const wait = Math.min(30_000, 1000 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt = Math.min(this.attempt + 1, 5);
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }
}

let audio;

/** Sound needs a page gesture first: the button that turns notifications on also does this. */
export function unlockSound() {
  try {
    audio ??= new AudioContext();
    void audio.resume();
  } catch {
    audio = undefined;
  }
}

/** A short two-note chime (no file to load). */
export function chime() {
  if (audio?.state !== "running") return;
  const t = audio.currentTime;
  for (const [i, f] of [880, 1320].entries()) {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, t + i * 0.12);
    g.gain.exponentialRampToValueAtTime(0.15, t + i * 0.12 + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.12 + 0.3);
    o.connect(g).connect(audio.destination);
    o.start(t + i * 0.12);
    o.stop(t + i * 0.12 + 0.32);
  }
}
