import { createHmac, timingSafeEqual } from "node:crypto";
import { makeRequest } from "./bodies.js";

/**
 * The in-process reference op, timed in the same process and run as each micro-benchmark:
 * what the ceiling does per request minus HTTP (HMAC-SHA256 over a Messenger webhook body,
 * `timingSafeEqual`, `JSON.parse`). Micro-benchmark figures are reported as multiples of it,
 * which holds better than µs on a shared machine.
 */
export function referenceOp(minMs = 300): { usPerOp: number; bodyBytes: number } {
  const bodies = Array.from({ length: 256 }, (_, i) => makeRequest("messenger", i, "ref"));
  const secret = "bench-app-secret-0123";
  let sink = 0;
  const once = (i: number) => {
    const r = bodies[i & 255];
    if (!r) return;
    const raw = Buffer.from(r.body);
    const given = Buffer.from((r.headers["x-hub-signature-256"] ?? "").slice(7), "hex");
    const want = createHmac("sha256", secret).update(raw).digest();
    if (given.length === want.length && timingSafeEqual(given, want)) {
      sink += (JSON.parse(raw.toString("utf8")) as { entry: unknown[] }).entry.length;
    }
  };
  for (let i = 0; i < 5000; i++) once(i);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 1000; i++) once(n++);
  }
  const us = ((performance.now() - t0) * 1000) / n;
  if (sink === 0) throw new Error("reference op verified nothing");
  return { usPerOp: us, bodyBytes: Buffer.byteLength(bodies[0]?.body ?? "") };
}
