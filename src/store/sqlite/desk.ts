import type { ConsoleLogin, DeskStore, LoginStore, OperatorAccount, OperatorStore } from "../../ports/desk.js";
import type { WriteBatch } from "./batch.js";
import { type Db, prepared } from "./db.js";

/** Operator accounts in the embedded file: one row per account, the record as JSON. */
class SqliteOperatorStore implements OperatorStore {
  private readonly sql: Db["prepare"];

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
  ) {
    this.sql = prepared(db);
  }

  async get(name: string): Promise<OperatorAccount | undefined> {
    const row = this.sql<[string], { body: string }>("SELECT body FROM desk_operators WHERE name = ?").get(name);
    return row ? (JSON.parse(row.body) as OperatorAccount) : undefined;
  }

  async list(): Promise<OperatorAccount[]> {
    return this.sql<[], { body: string }>("SELECT body FROM desk_operators ORDER BY name")
      .all()
      .map((r) => JSON.parse(r.body) as OperatorAccount);
  }

  async create(a: OperatorAccount): Promise<boolean> {
    const r = await this.batch.run(() =>
      this.sql("INSERT OR IGNORE INTO desk_operators (name, body) VALUES (?, ?)").run(a.name, JSON.stringify(a)),
    );
    return r.changes > 0;
  }

  async update(a: OperatorAccount): Promise<boolean> {
    const r = await this.batch.run(() =>
      this.sql("UPDATE desk_operators SET body = ? WHERE name = ?").run(JSON.stringify(a), a.name),
    );
    return r.changes > 0;
  }

  async remove(name: string): Promise<boolean> {
    const r = await this.batch.run(() => this.sql("DELETE FROM desk_operators WHERE name = ?").run(name));
    return r.changes > 0;
  }

  async count(): Promise<number> {
    return (this.sql("SELECT COUNT(*) AS n FROM desk_operators").get() as { n: number }).n;
  }
}

/**
 * Console logins in the embedded file. `lapses` is when the login ends unless used again
 * (idle limit, capped by the absolute end); a lapsed row reads as absent and is swept.
 */
class SqliteLoginStore implements LoginStore {
  private readonly sql: Db["prepare"];
  private sweptAt = 0;

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
  ) {
    this.sql = prepared(db);
  }

  private lapses(l: Pick<ConsoleLogin, "expiresAt">, at: number, ttlMs: number): number {
    return Math.min(l.expiresAt, at + ttlMs);
  }

  async create(l: ConsoleLogin, ttlMs: number): Promise<void> {
    await this.batch.run(() => {
      this.sweep(l.createdAt);
      this.sql("INSERT OR REPLACE INTO desk_logins (token_hash, operator, lapses, body) VALUES (?, ?, ?, ?)").run(
        l.tokenHash,
        l.operator,
        this.lapses(l, l.createdAt, ttlMs),
        JSON.stringify(l),
      );
    });
  }

  async get(tokenHash: string): Promise<ConsoleLogin | undefined> {
    const row = this.sql<[string], { body: string; lapses: number }>(
      "SELECT body, lapses FROM desk_logins WHERE token_hash = ?",
    ).get(tokenHash);
    if (!row || row.lapses <= Date.now()) return undefined;
    return JSON.parse(row.body) as ConsoleLogin;
  }

  async touch(tokenHash: string, at: number, ttlMs: number): Promise<void> {
    const l = await this.get(tokenHash);
    if (!l) return;
    const next: ConsoleLogin = { ...l, lastSeenAt: at };
    await this.batch.run(() =>
      this.sql("UPDATE desk_logins SET lapses = ?, body = ? WHERE token_hash = ?").run(
        this.lapses(l, at, ttlMs),
        JSON.stringify(next),
        tokenHash,
      ),
    );
  }

  async revoke(tokenHash: string): Promise<void> {
    await this.batch.run(() => this.sql("DELETE FROM desk_logins WHERE token_hash = ?").run(tokenHash));
  }

  async revokeAll(operator: string): Promise<number> {
    const r = await this.batch.run(() => this.sql("DELETE FROM desk_logins WHERE operator = ?").run(operator));
    return r.changes;
  }

  /** Lapsed rows go at most once a minute, with the next write. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    this.sql("DELETE FROM desk_logins WHERE lapses <= ?").run(now);
  }
}

export function sqliteDesk(db: Db, batch: WriteBatch): DeskStore {
  return { operators: new SqliteOperatorStore(db, batch), logins: new SqliteLoginStore(db, batch) };
}
