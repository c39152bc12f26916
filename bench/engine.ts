import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MESSENGER_CAPABILITIES } from "../adapters/messenger/capabilities.js";
import { createLogger } from "../src/config/log.js";
import { loadContentOrThrow } from "../src/content/load.js";
import { handle } from "../src/engine/engine.js";
import { EscalationRules } from "../src/engine/escalation.js";
import type { EngineContext } from "../src/engine/turn.js";
import { matcherFor } from "../src/nlu/train.js";
import type { ChannelAdapter } from "../src/ports/channel.js";
import type { ChannelId, InboundEvent } from "../src/ports/message.js";
import type { InboxItem, SendJob, SendOutcome } from "../src/ports/queue.js";
import type { Session } from "../src/ports/session.js";
import { Metrics } from "../src/runtime/metrics.js";
import { Runtime } from "../src/runtime/runtime.js";
import { embeddedBackend } from "../src/store/sqlite/backend.js";
import { recipientId, TEXTS, USERS } from "./lib/bodies.js";
import { ROOT } from "./lib/proc.js";
import { referenceOp } from "./lib/reference.js";

/**
 * Engine alone (run by bench/run.ts in its own pinned process; prints one JSON line):
 * 1. `handle(event, session, ctx)` with sessions in a Map;
 * 2. the runtime's process path on the embedded SQLite store (`Runtime.process`: session
 *    get, engine, outbox jobs, session set, outbox insert), one event at a time;
 * 3. the whole runtime in-process: `accept` (dedupe + durable inbox) → lanes → process →
 *    outbox → `adapter.send` to a channel that only counts, 50 producers, no HTTP.
 * Same users (10,000, round-robin) and texts as the HTTP runs.
 */

const quick = process.argv.includes("--quick");
const N = quick ? 5_000 : 20_000;
/** The store-backed parts are slower: half as many events. */
const NS = N / 2;

class CountingChannel implements ChannelAdapter {
  readonly id: ChannelId = "messenger";
  readonly name = "Messenger";
  readonly capabilities = MESSENGER_CAPABILITIES;
  sent = 0;
  onSent?: () => void;
  async send(_job: SendJob): Promise<SendOutcome> {
    this.sent++;
    this.onSent?.();
    return { ok: true };
  }
  health() {
    return { ok: true };
  }
}

function event(i: number, run: string): InboundEvent {
  const u = i % USERS;
  return {
    id: `messenger:mid:m_${run}_${i}`,
    channel: "messenger",
    userId: recipientId("messenger", u),
    timestamp: Date.now(),
    kind: "message",
    text: TEXTS[i % TEXTS.length] ?? "",
  };
}

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

async function main(): Promise<void> {
  const content = loadContentOrThrow({ configDir: join(ROOT, "config"), flowsDir: join(ROOT, "flows") });
  const matcher = matcherFor(content);
  const rules = new EscalationRules(content.config.escalation.rules, content.config.escalation.word_lists);
  const log = createLogger("warn");
  const reference = referenceOp();
  const out: Record<string, unknown> = { events: N, reference };

  // 1. handle() with sessions in memory: at the current time, and at fixed instants when
  //    support is open and closed (answers about opening hours cost more while closed).
  const memoryRun = (n: number, at: () => Date) => {
    const sessions = new Map<string, Session>();
    const ctx = (): EngineContext => ({ content, matcher, rules, now: at(), operators: false });
    let replies = 0;
    let other = 0;
    const warm = Math.min(2000, n);
    for (let i = 0; i < warm; i++) {
      const e = event(i, "warm");
      sessions.set(e.userId, handle(e, sessions.get(e.userId), ctx()).session);
    }
    sessions.clear();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const e = event(i, "mem");
      const r = handle(e, sessions.get(e.userId), ctx());
      sessions.set(e.userId, r.session);
      for (const a of r.actions) {
        if (a.type === "reply") replies++;
        else other++;
      }
    }
    const ms = performance.now() - t0;
    const cpu = cpuMs(process.cpuUsage(c0));
    return {
      eventsPerSec: Math.round((n * 1000) / ms),
      usPerEvent: (ms * 1000) / n,
      cpuUsPerEvent: (cpu * 1000) / n,
      repliesPerEvent: replies / n,
      otherActions: other,
      sessionBytes: Math.round(
        [...sessions.values()].slice(0, 200).reduce((k, s) => k + JSON.stringify(s).length, 0) / 200,
      ),
    };
  };
  out.memory = memoryRun(N, () => new Date());
  // Tuesday 10:00 and 03:00 in Asia/Ho_Chi_Minh (UTC+7): the shipped hours are open, then closed.
  const open = Date.parse("2026-11-24T03:00:00Z");
  const closed = Date.parse("2026-11-23T20:00:00Z");
  out.memoryOpen = memoryRun(N / 2, () => new Date(open + (Date.now() % 60_000)));
  out.memoryClosed = memoryRun(N / 2, () => new Date(closed + (Date.now() % 60_000)));

  // 2. Runtime.process on the embedded store (a file in a temp DATA_DIR, WAL).
  const dir = mkdtempSync(join(tmpdir(), "hotro-bench-engine-"));
  try {
    const backend = embeddedBackend(join(dir, "process"), log, content.config.brand.request_prefix);
    const channel = new CountingChannel();
    const runtime = new Runtime({
      content,
      matcher,
      rules,
      sessions: backend.sessions,
      requests: backend.requests,
      inbox: backend.inbox,
      outbox: backend.outbox,
      channels: new Map([["messenger", channel]]),
      log,
      metrics: new Metrics(false),
    });
    const item = (i: number, run: string): InboxItem => {
      const e = event(i, run);
      return { key: e.id, conv: `messenger:${e.userId}`, body: { type: "event", event: e } };
    };
    for (let i = 0; i < Math.min(2000, N); i++) await runtime.process(item(i, "warm"));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < NS; i++) await runtime.process(item(i, "proc"));
    const ms = performance.now() - t0;
    const cpu = cpuMs(process.cpuUsage(c0));
    out.sqliteProcess = {
      events: NS,
      eventsPerSec: Math.round((NS * 1000) / ms),
      usPerEvent: (ms * 1000) / NS,
      cpuUsPerEvent: (cpu * 1000) / NS,
      outboxJobs: await backend.outbox.pending(),
    };
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 3. The whole runtime in-process: accept → inbox → process → outbox → send, no HTTP.
  const dir2 = mkdtempSync(join(tmpdir(), "hotro-bench-runtime-"));
  try {
    const backend = embeddedBackend(join(dir2, "runtime"), log, content.config.brand.request_prefix);
    const channel = new CountingChannel();
    const runtime = new Runtime({
      content,
      matcher,
      rules,
      sessions: backend.sessions,
      requests: backend.requests,
      inbox: backend.inbox,
      outbox: backend.outbox,
      channels: new Map([["messenger", channel]]),
      log,
      metrics: new Metrics(false),
    });
    runtime.start({ recover: false });
    const drive = async (run: string, n: number) => {
      const done = new Promise<void>((resolve) => {
        const target = channel.sent + n;
        channel.onSent = () => {
          if (channel.sent >= target) resolve();
        };
      });
      let next = 0;
      const producer = async () => {
        while (next < n) {
          const i = next++;
          await runtime.accept([event(i, run)]);
        }
      };
      await Promise.all(Array.from({ length: 50 }, producer));
      const accepted = performance.now();
      await done;
      return accepted;
    };
    await drive("warm", Math.min(2000, N));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const acceptedAt = await drive("rt", NS);
    const ms = performance.now() - t0;
    const cpu = cpuMs(process.cpuUsage(c0));
    out.runtime = {
      events: NS,
      eventsPerSec: Math.round((NS * 1000) / ms),
      acceptPerSec: Math.round((NS * 1000) / (acceptedAt - t0)),
      usPerEvent: (ms * 1000) / NS,
      cpuUsPerEvent: (cpu * 1000) / NS,
    };
    await runtime.stop();
    await backend.close();
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
