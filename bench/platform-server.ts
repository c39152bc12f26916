import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The platforms' side of the benchmark, in its own process (pinned next to the load
 * generator): the Graph API (Messenger), the Bot API (Telegram) and Zalo's OpenAPI and
 * OAuth, on one lean `node:http` server. It answers what the adapters call and records,
 * for every message sent to a user, who it was for and when it arrived, so the
 * orchestrator can match replies to the messages that caused them.
 *
 * Talks to its parent over IPC: `{cmd:"stats"}`, `{cmd:"dump"}` (and forget),
 * `{cmd:"clock"}` (its clock, for the offset), `{cmd:"stop"}`.
 */

const now = () => performance.timeOrigin + performance.now();

/** Recipient id → arrival times (ms, wall clock with µs resolution) of the messages sent to it. */
let arrivals = new Map<string, number[]>();
let replies = 0;
let calls: Record<string, number> = {};
let nextId = 1;

const count = (kind: string) => {
  calls[kind] = (calls[kind] ?? 0) + 1;
};

function json(res: ServerResponse, body: string, status = 200): true {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}

function record(recipient: string | number | undefined, at: number): void {
  const id = String(recipient ?? "?");
  let list = arrivals.get(id);
  if (!list) {
    list = [];
    arrivals.set(id, list);
  }
  list.push(at);
  replies++;
}

function parse(raw: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function route(req: IncomingMessage, res: ServerResponse, raw: string, at: number): true {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q >= 0 ? url.slice(0, q) : url;

  // Telegram Bot API: /bot<token>/<method>
  if (path.startsWith("/bot")) {
    const method = path.slice(path.lastIndexOf("/") + 1);
    count(`telegram:${method}`);
    if (method === "getMe") {
      return json(
        res,
        JSON.stringify({
          ok: true,
          result: {
            id: 123456,
            is_bot: true,
            first_name: "HoTro Bench",
            username: "hotro_bench_bot",
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        }),
      );
    }
    if (method === "sendMessage" || method === "sendPhoto") {
      const b = parse(raw);
      record(b.chat_id as string | number | undefined, at);
      return json(
        res,
        `{"ok":true,"result":{"message_id":${nextId++},"date":${Math.floor(at / 1000)},"chat":{"id":${Number(b.chat_id) || 0},"type":"private"}}}`,
      );
    }
    return json(res, '{"ok":true,"result":true}');
  }

  // Zalo OpenAPI and OAuth
  if (path === "/v3.0/oa/message/cs") {
    count("zalo:message/cs");
    const b = parse(raw) as { recipient?: { user_id?: string } };
    record(b.recipient?.user_id, at);
    return json(
      res,
      `{"data":{"message_id":"${randomBytes(16).toString("hex")}","user_id":"${b.recipient?.user_id ?? ""}"},"error":0,"message":"Success"}`,
    );
  }
  if (path === "/v3.0/oa/user/detail") {
    count("zalo:user/detail");
    return json(res, '{"error":0,"message":"Success","data":{"display_name":"Bench User","user_alias":"Bench"}}');
  }
  if (path === "/v4/oa/access_token") {
    count("zalo:access_token");
    return json(
      res,
      JSON.stringify({
        access_token: `bench-access-${nextId++}`,
        refresh_token: `bench-refresh-${nextId++}`,
        expires_in: "90000",
      }),
    );
  }

  // Graph API (Messenger): /<version>/me/messages, /<version>/<psid>, /<version>/me…
  const graph = /^\/v\d+\.\d+(\/.*)$/.exec(path)?.[1];
  if (graph !== undefined) {
    if (graph === "/me/messages") {
      const b = parse(raw) as { recipient?: { id?: string }; message?: unknown };
      if (b.message === undefined) {
        count("messenger:sender_action");
        return json(res, `{"recipient_id":"${b.recipient?.id ?? ""}"}`);
      }
      count("messenger:send");
      record(b.recipient?.id, at);
      return json(res, `{"recipient_id":"${b.recipient?.id ?? ""}","message_id":"m_${nextId++}"}`);
    }
    if (graph === "/me") {
      count("messenger:me");
      return json(res, '{"id":"1895382890692545","name":"Bench Page"}');
    }
    if (graph === "/me/subscribed_apps") {
      count("messenger:subscribed_apps");
      return json(res, '{"data":[]}');
    }
    count("messenger:profile");
    const psid = graph.slice(1);
    return json(res, `{"id":"${psid}","name":"Bench User","first_name":"Bench","last_name":"User"}`);
  }

  count("unknown");
  return json(res, '{"error":"no route"}', 404);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const at = now();
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => route(req, res, chunks.length === 1 ? String(chunks[0]) : Buffer.concat(chunks).toString(), at));
});
server.maxHeadersCount = 100;

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const port = (server.address() as AddressInfo).port;
  process.send?.({ ready: true, port });
});

process.on("message", (m: { cmd: string; id?: number }) => {
  switch (m.cmd) {
    case "stats":
      process.send?.({ id: m.id, replies, calls });
      break;
    case "dump": {
      process.send?.({ id: m.id, replies, calls, arrivals: [...arrivals] });
      arrivals = new Map();
      replies = 0;
      calls = {};
      break;
    }
    case "clock":
      process.send?.({ id: m.id, t: now() });
      break;
    case "stop":
      server.closeAllConnections();
      server.close(() => process.exit(0));
      break;
  }
});
process.on("disconnect", () => process.exit(0));
