import { isIP } from "node:net";
import type { Keyv } from "keyv";

export interface ThrottleLimits {
  /** Failed logins allowed per account name in one window... */
  perAccount: number;
  /** ...and per client network (IPv4 address, IPv6 /64)... */
  perNetwork: number;
  /** ...of this many milliseconds from the first failure. */
  windowMs: number;
}

export const LOGIN_LIMITS: ThrottleLimits = { perAccount: 5, perNetwork: 20, windowMs: 15 * 60_000 };

interface Window {
  count: number;
  resetAt: number;
}

/** A network to count a client by: an IPv6 host can switch addresses inside its /64 at will. */
export function networkOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIP(ip) !== 6) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * Failed console logins, counted per account and per network in the shared kv (so every
 * process counts together), each count in a window that expires by itself. An attempt takes
 * its place before the password is checked, under a lock, so a burst of parallel guesses
 * cannot slip past the limit; a successful login gives its place back.
 */
export class LoginThrottle {
  constructor(
    private readonly kv: Keyv,
    private readonly withLock: <T>(name: string, ttlMs: number, fn: () => Promise<T>) => Promise<T>,
    private readonly limits: ThrottleLimits = LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(account: string, ip: string): [string, number][] {
    return [
      [`desk:login-failures:account:${account}`, this.limits.perAccount],
      [`desk:login-failures:net:${networkOf(ip)}`, this.limits.perNetwork],
    ];
  }

  /** Take a place for one attempt: 0 when it may go on, else how long (ms) until it may. */
  async attempt(account: string, ip: string): Promise<number> {
    const keys = this.keys(account, ip);
    return this.withLock(`desk:login:${keys[0]?.[0]}`, 5_000, () =>
      this.withLock(`desk:login:${keys[1]?.[0]}`, 5_000, async () => {
        const now = this.now();
        const windows = await Promise.all(keys.map(([k]) => this.read(k, now)));
        const full = windows
          .map((w, i) => (w.count >= (keys[i]?.[1] ?? 0) ? w.resetAt - now : 0))
          .reduce((a, b) => Math.max(a, b), 0);
        if (full > 0) return full;
        await Promise.all(
          keys.map(([k], i) => {
            const w = windows[i] ?? { count: 0, resetAt: now + this.limits.windowMs };
            return this.kv.set(k, { count: w.count + 1, resetAt: w.resetAt }, Math.max(1, w.resetAt - now));
          }),
        );
        return 0;
      }),
    );
  }

  /** The attempt was right: it does not count against the account or the network. */
  async succeeded(account: string, ip: string): Promise<void> {
    const [acct, net] = this.keys(account, ip);
    if (acct) await this.kv.delete(acct[0]);
    if (!net) return;
    await this.withLock(`desk:login:${net[0]}`, 5_000, async () => {
      const now = this.now();
      const w = await this.read(net[0], now);
      if (w.count > 0)
        await this.kv.set(net[0], { count: w.count - 1, resetAt: w.resetAt }, Math.max(1, w.resetAt - now));
    });
  }

  private async read(key: string, now: number): Promise<Window> {
    const w = (await this.kv.get(key)) as Window | undefined;
    return w && w.resetAt > now ? w : { count: 0, resetAt: now + this.limits.windowMs };
  }
}
