/**
 * The operators' desk as the stores keep it: accounts and console logins. Both backends
 * implement these (SQLite in DATA_DIR, Redis under the deployment's prefix), so an account
 * made with `npm run operator` on one process can log in on any other.
 */

export const ROLES = ["agent", "lead", "admin"] as const;
/** `agent` handles requests; `lead` also assigns and edits canned replies; `admin` also manages operators. */
export type OperatorRole = (typeof ROLES)[number];

export interface OperatorAccount {
  /** The login name: lower case letters, digits, `.`, `_`, `-`. */
  name: string;
  /** How users and colleagues see them ("Lan Nguyễn"); the login name when not set. */
  displayName?: string;
  role: OperatorRole;
  /** `scrypt$N$r$p$salt$hash` (src/desk/passwords.ts); never leaves the server. */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface OperatorStore {
  get(name: string): Promise<OperatorAccount | undefined>;
  list(): Promise<OperatorAccount[]>;
  /** Adds the account unless the name is taken (then false), in one step across processes. */
  create(account: OperatorAccount): Promise<boolean>;
  /** Replaces an existing account (false when there is none). */
  update(account: OperatorAccount): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  /** How many accounts exist (cheap: asked before a hand-off). */
  count(): Promise<number>;
}

/** One console login. Only the token's hash is stored: a copy of the store opens no session. */
export interface ConsoleLogin {
  /** SHA-256 of the session token, base64url. */
  tokenHash: string;
  operator: string;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end (ms); the idle limit is applied on top by whoever reads it. */
  expiresAt: number;
}

export interface LoginStore {
  /** Kept until `expiresAt` at the latest; `ttlMs` is how long without use before it lapses. */
  create(login: ConsoleLogin, ttlMs: number): Promise<void>;
  get(tokenHash: string): Promise<ConsoleLogin | undefined>;
  /** Seen now: the idle clock starts again (never past `expiresAt`). */
  touch(tokenHash: string, at: number, ttlMs: number): Promise<void>;
  revoke(tokenHash: string): Promise<void>;
  /** Ends every login of one operator (password changed, account removed); how many ended. */
  revokeAll(operator: string): Promise<number>;
}

export interface DeskStore {
  operators: OperatorStore;
  logins: LoginStore;
}

/** What the engine is told at a hand-off: can a person answer here at all, and how many are online now. */
export interface DeskStatus {
  /** Someone can answer: a console account exists (or another surface, such as a Telegram group, is configured). */
  staffed: boolean;
  /** Operators with the console open right now; undefined when that cannot be known. */
  online?: number;
}

export interface DeskAvailability {
  status(): Promise<DeskStatus>;
}

/** The bus topic the consoles of every process listen on. */
export const DESK_TOPIC = "desk";
