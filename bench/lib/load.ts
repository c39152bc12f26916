import autocannon from "autocannon";
import { type BenchRequest, type Channel, makeRequest } from "./bodies.js";

/**
 * autocannon, driven programmatically: every request built just before it is written
 * (`setupRequest`: a new message id, the next user, a fresh signature), its send time and
 * answer recorded per request, so webhook latencies are ours (µs resolution) and replies
 * can be matched to the messages that caused them.
 */

export interface Target {
  url: string;
  path: string;
  connections: number;
}

export interface LoadResult {
  /** Wall clock (ms, µs resolution) when the load started and when its last answer came. */
  start: number;
  end: number;
  /** Per request, in the order built: user index, send time, answer time − send time, status (0: none). */
  user: number[];
  sentAt: number[];
  latencyMs: number[];
  status: number[];
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU the load generator (this process) used, as a share of one core. */
  loadgenCpu: number;
}

export const now = () => performance.timeOrigin + performance.now();

export async function load(
  channel: Channel,
  targets: Target[],
  durationS: number,
  run: string,
  counter: { seq: number },
): Promise<LoadResult> {
  const r: LoadResult = {
    start: 0,
    end: 0,
    user: [],
    sentAt: [],
    latencyMs: [],
    status: [],
    ok: 0,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    loadgenCpu: 0,
  };
  const spec = (path: string) => ({
    method: "POST",
    path,
    setupRequest: (req: object, ctx: Record<string, unknown>) => {
      const m: BenchRequest = makeRequest(channel, counter.seq++, run);
      const i = r.user.length;
      r.user.push(m.user);
      r.status.push(0);
      r.latencyMs.push(Number.NaN);
      ctx.i = i;
      r.sentAt.push(now());
      return { ...req, method: "POST", path, headers: m.headers, body: m.body };
    },
    onResponse: (status: number, _body: string, ctx: Record<string, unknown>) => {
      const i = ctx.i as number;
      r.latencyMs[i] = now() - (r.sentAt[i] ?? 0);
      r.status[i] = status;
    },
  });
  const cpu0 = process.cpuUsage();
  r.start = now();
  const results = await Promise.all(
    targets.map((t) =>
      autocannon({
        url: t.url,
        connections: t.connections,
        duration: durationS,
        pipelining: 1,
        timeout: 10,
        requests: [spec(t.path)],
      }),
    ),
  );
  r.end = now();
  const cpu = process.cpuUsage(cpu0);
  r.loadgenCpu = (cpu.user + cpu.system) / 1000 / (r.end - r.start);
  for (const x of results) {
    r.errors += x.errors;
    r.timeouts += x.timeouts;
  }
  // autocannon builds one request ahead per connection at start-up that may never be sent:
  // requests without an answer are "not sent or not answered", counted apart.
  for (const s of r.status) {
    if (s >= 200 && s < 300) r.ok++;
    else if (s !== 0) r.non2xx++;
  }
  return r;
}
