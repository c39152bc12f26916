import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * The embedded store: one SQLite file in DATA_DIR, no server to run. better-sqlite3 was
 * chosen over `@keyv/sqlite` (which pulls `sqlite3`): one native binding instead of two,
 * and a synchronous API whose transactions make "record the event and claim its id" a
 * single atomic step. WAL with synchronous=NORMAL survives a killed process (only an OS
 * crash can lose the last commits) and is ~7× faster than the default (performance.md).
 */
export function openDb(dataDir: string | ":memory:"): Db {
  let path = ":memory:";
  if (dataDir !== ":memory:") {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, "hotro.db");
  }
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  // Deleted rows are overwritten with zeros, not left in free pages: an erased person's words
  // must not be recoverable from the file (issue 19; the WAL is truncated after an erasure).
  db.pragma("secure_delete = ON");
  migrate(db);
  return db;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)`,
  `CREATE TABLE IF NOT EXISTS dedupe (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS dedupe_expires ON dedupe(expires)`,
  `CREATE TABLE IF NOT EXISTS inbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     conv TEXT NOT NULL,
     body TEXT NOT NULL,
     state INTEGER NOT NULL DEFAULT 0,
     received INTEGER NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS inbox_pending ON inbox(state, conv, seq)`,
  `CREATE TABLE IF NOT EXISTS outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     job_key TEXT NOT NULL UNIQUE,
     lane TEXT NOT NULL,
     body TEXT NOT NULL,
     state INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL DEFAULT 0,
     error TEXT,
     created INTEGER NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(state, lane, seq)`,
  `CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS requests (
     id TEXT PRIMARY KEY,
     conv TEXT NOT NULL,
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     status TEXT NOT NULL,
     priority TEXT NOT NULL,
     created INTEGER NOT NULL,
     updated INTEGER NOT NULL,
     body TEXT NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS requests_conv ON requests(conv, created)`,
  `CREATE INDEX IF NOT EXISTS requests_status ON requests(status, created)`,
  `CREATE TABLE IF NOT EXISTS transcript (
     request_id TEXT NOT NULL,
     line_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (request_id, line_key)
   )`,
  `CREATE TABLE IF NOT EXISTS desk_operators (name TEXT PRIMARY KEY, body TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS desk_logins (
     token_hash TEXT PRIMARY KEY,
     operator TEXT NOT NULL,
     lapses INTEGER NOT NULL,
     body TEXT NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS desk_logins_operator ON desk_logins(operator)`,
  `CREATE TABLE IF NOT EXISTS quality (key TEXT PRIMARY KEY, kind TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS quality_kind_at ON quality(kind, at)`,
  `CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS audit_anchor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS transcript_at ON transcript(at)`,
  `CREATE INDEX IF NOT EXISTS requests_updated ON requests(updated)`,
];

/** Columns added after a table first shipped: added to older files when missing. */
const COLUMNS: [table: string, column: string, definition: string][] = [
  // Failed sends that count toward the attempt budget (429 waits and pacing do not).
  ["outbox", "failures", "INTEGER NOT NULL DEFAULT 0"],
];

function migrate(db: Db): void {
  db.transaction(() => {
    for (const sql of SCHEMA) db.exec(sql);
    for (const [table, column, definition] of COLUMNS) {
      const has = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some(
        (c) => c.name === column,
      );
      if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    }
  })();
}

const statements = new WeakMap<Db, Map<string, unknown>>();

/**
 * `db.prepare` with a cache: compiling a statement costs far more than running it, and the
 * hot paths (claim, record, send) run the same few statements for every message.
 */
export function prepared(db: Db): Db["prepare"] {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  const c = cache;
  return ((source: string) => {
    let s = c.get(source);
    if (!s) {
      s = db.prepare(source);
      c.set(source, s);
    }
    return s;
  }) as Db["prepare"];
}
