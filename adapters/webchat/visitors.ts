import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import type { ChannelDeps } from "../../src/ports/channel.js";

/** A visitor's secret as the server makes it: 32 random bytes, base64url (43 characters). */
export const SECRET = /^[A-Za-z0-9_-]{43}$/;

/**
 * What the store keeps about a visitor: the SHA-256 of their secret (never the secret), when
 * they were made, and the network they last came from (hashed, see `netOf`), for the flood
 * limits. Visitors of versions before the secret have no record at all.
 */
interface StoredVisitor {
  hash: string;
  since: number;
  net?: string;
}

export interface Credentials {
  /** The public reference: the conversation key's user id, shown to operators. */
  visitor: string;
  /** The credential: only the visitor's browser has it. */
  secret: string;
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * Live-chat identities. A visitor is a public id (the conversation is `webchat:<id>`, operators
 * see it) plus a secret only their browser holds: 256 bits from the CSPRNG, stored as its
 * SHA-256, compared in constant time. A fast hash is enough here (unlike for passwords): the
 * secret is uniformly random and far too long to guess, so a slow hash would add nothing but
 * CPU per connection; what the hash buys is that a copy of the store does not hand out the
 * secrets themselves.
 */
export class Visitors {
  /** When this process last renewed a visitor's record (at most once a day each). */
  private readonly renewed = new Map<string, number>();

  constructor(
    private readonly deps: Pick<ChannelDeps, "kv">,
    /** A record lives as long as the history it guards (refreshed at every hello). */
    private readonly ttlMs: number,
  ) {}

  private key(visitor: string): string {
    return `webchat:visitor:${visitor}`;
  }

  /** A new identity: its secret is returned once, here, and only its hash is stored. */
  async create(net: string, now = Date.now()): Promise<Credentials> {
    const visitor = randomBytes(16).toString("base64url");
    const secret = randomBytes(32).toString("base64url");
    const rec: StoredVisitor = { hash: sha256(secret).toString("base64url"), since: now, net };
    await this.deps.kv.set(this.key(visitor), rec, this.ttlMs);
    this.renewed.set(visitor, now);
    return { visitor, secret };
  }

  /**
   * Whether `secret` is this visitor's. An unknown visitor, one stored by an earlier version
   * (no hash), a missing or malformed secret: all false, and the caller makes a new visitor.
   * On success the record's lifetime is renewed and the network remembered.
   */
  async verify(visitor: string, secret: string | undefined, net: string): Promise<boolean> {
    const rec = (await this.deps.kv.get(this.key(visitor))) as StoredVisitor | undefined;
    // Hash whatever was presented even when there is nothing to compare with, so the work done
    // does not depend on it.
    const presented = sha256(secret ?? "");
    if (!rec?.hash || !secret || !SECRET.test(secret)) return false;
    const stored = Buffer.from(rec.hash, "base64url");
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return false;
    await this.deps.kv.set(this.key(visitor), { ...rec, net } satisfies StoredVisitor, this.ttlMs);
    this.renewed.set(visitor, Date.now());
    return true;
  }

  /**
   * Keep the record as long as the history it guards, which is renewed by every new entry (an
   * operator may answer weeks later): renewed here too, at most once a day per process.
   */
  async renew(visitor: string, now = Date.now()): Promise<void> {
    if (now - (this.renewed.get(visitor) ?? 0) < 86_400_000) return;
    this.renewed.set(visitor, now);
    const rec = (await this.deps.kv.get(this.key(visitor))) as StoredVisitor | undefined;
    if (rec?.hash) await this.deps.kv.set(this.key(visitor), rec, this.ttlMs);
  }

  /** Forget renewals older than a day (called periodically). */
  sweep(now = Date.now()): void {
    for (const [v, at] of this.renewed) if (now - at >= 86_400_000) this.renewed.delete(v);
  }

  /** The network the visitor last connected from (hashed), for per-IP limits. */
  async netOf(visitor: string): Promise<string | undefined> {
    return ((await this.deps.kv.get(this.key(visitor))) as StoredVisitor | undefined)?.net;
  }
}

/**
 * The network a client address stands for, as limits count it: the IPv4 address, or the /64
 * of an IPv6 one (what one subscriber usually gets), hashed so raw addresses are not kept in
 * the store. Not anonymous (IPv4 can be enumerated): it only keeps addresses out of plain sight.
 */
export function netOf(ip: string | undefined): string {
  let a = (ip ?? "").trim().toLowerCase();
  if (a.startsWith("::ffff:") && isIPv4(a.slice(7))) a = a.slice(7);
  let bucket = a || "unknown";
  if (isIPv6(a)) bucket = `${expandIPv6(a).slice(0, 4).join(":")}::/64`;
  return createHash("sha256").update(`hotro-webchat-net:${bucket}`).digest("base64url").slice(0, 22);
}

/** `2001:db8::1` → its eight 16-bit groups, as hex without leading zeros. */
function expandIPv6(a: string): string[] {
  const [head = "", tail] = a.split("%")[0]?.split("::") ?? [""];
  const parts = (s: string) => (s ? s.split(":") : []);
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms other than the one handled above) counts as two groups.
  const fix = (xs: string[]) => xs.flatMap((x) => (x.includes(".") ? ["v4", "v4"] : [x]));
  const hh = fix(h);
  const tt = fix(t);
  const fill = tail === undefined ? [] : Array(Math.max(0, 8 - hh.length - tt.length)).fill("0");
  return [...hh, ...fill, ...tt].map((x) => x.replace(/^0+(?=.)/, ""));
}
