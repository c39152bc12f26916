import { EventEmitter } from "node:events";
import type { KeyvStoreAdapter, StoredData } from "keyv";
import type { WriteBatch } from "./batch.js";
import type { Db } from "./db.js";

/**
 * A keyv store over the embedded SQLite file, so state goes through keyv (like the Redis
 * deployment's `@keyv/redis`) while sharing the one database and binding the inbox uses.
 */
export class SqliteKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  opts: Record<string, unknown> = { dialect: "sqlite" };
  namespace?: string;
  private readonly getStmt;
  private readonly setStmt;
  private readonly delStmt;
  private readonly clearStmt;

  constructor(
    db: Db,
    private readonly batch: WriteBatch,
  ) {
    super();
    this.getStmt = db.prepare<[string], { value: string; expires: number | null }>(
      "SELECT value, expires FROM kv WHERE key = ?",
    );
    this.setStmt = db.prepare(
      "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
    );
    this.delStmt = db.prepare("DELETE FROM kv WHERE key = ?");
    this.clearStmt = db.prepare("DELETE FROM kv WHERE key LIKE ? ESCAPE '\\'");
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    if (row.expires !== null && row.expires <= Date.now()) {
      this.delStmt.run(key);
      return undefined;
    }
    return row.value as StoredData<Value>;
  }

  async set(key: string, value: unknown, ttl?: number): Promise<void> {
    const expires = ttl ? Date.now() + ttl : null;
    await this.batch.run(() => this.setStmt.run(key, String(value), expires));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.batch.run(() => this.delStmt.run(key))).changes > 0;
  }

  async clear(): Promise<void> {
    const prefix = this.namespace ? `${this.namespace.replace(/[\\%_]/g, "\\$&")}:%` : "%";
    this.clearStmt.run(prefix);
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }
}
