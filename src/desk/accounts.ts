import { type DeskStore, type OperatorAccount, type OperatorRole, ROLES } from "../ports/desk.js";
import { dummyHash, hashPassword, verifyPassword } from "./passwords.js";

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const MIN_PASSWORD = 10;
/** Longer input is refused before hashing, so a huge body costs nothing. */
export const MAX_PASSWORD = 200;

/** A refusal an operator can act on ("the name is taken", "the password is too short"). */
export class AccountError extends Error {
  constructor(
    message: string,
    readonly code: "invalid" | "exists" | "missing",
  ) {
    super(message);
    this.name = "AccountError";
  }
}

/** What the API and the console show of an account (never the hash). */
export interface OperatorView {
  name: string;
  displayName: string;
  role: OperatorRole;
}

export const viewOf = (a: OperatorAccount): OperatorView => ({
  name: a.name,
  displayName: a.displayName ?? a.name,
  role: a.role,
});

/** Login names compare case-insensitively: `Lan` and `lan` are one account. */
export const normalizeName = (name: string) => name.trim().normalize("NFC").toLowerCase();

export function checkName(name: string): string {
  const n = normalizeName(name);
  if (!NAME_PATTERN.test(n))
    throw new AccountError(
      `"${name}" is not a valid name: 1–32 letters a–z, digits, ".", "_" or "-", starting with a letter or digit`,
      "invalid",
    );
  return n;
}

export function checkRole(role: string): OperatorRole {
  if (!(ROLES as readonly string[]).includes(role))
    throw new AccountError(`"${role}" is not a role: use ${ROLES.join(", ")}`, "invalid");
  return role as OperatorRole;
}

export function checkPassword(password: string): string {
  if ([...password].length < MIN_PASSWORD)
    throw new AccountError(`the password is too short: at least ${MIN_PASSWORD} characters`, "invalid");
  if (password.length > MAX_PASSWORD)
    throw new AccountError(`the password is too long: at most ${MAX_PASSWORD} characters`, "invalid");
  return password;
}

/**
 * Operator accounts: the rules (names, roles, password length) and the side effects that go
 * with a change (a new password or a removed account ends every console login of theirs).
 * Used by `npm run operator`, the login route and the admins' API alike.
 */
export class Accounts {
  constructor(
    private readonly store: DeskStore,
    private readonly now: () => number = Date.now,
  ) {}

  async add(input: { name: string; role: string; password: string; displayName?: string }): Promise<OperatorView> {
    const name = checkName(input.name);
    const role = checkRole(input.role);
    const at = this.now();
    const account: OperatorAccount = {
      name,
      role,
      passwordHash: await hashPassword(checkPassword(input.password)),
      createdAt: at,
      updatedAt: at,
    };
    const display = input.displayName?.trim();
    if (display) account.displayName = display.slice(0, 64);
    if (!(await this.store.operators.create(account)))
      throw new AccountError(`an operator named ${name} already exists`, "exists");
    return viewOf(account);
  }

  async list(): Promise<OperatorView[]> {
    return (await this.store.operators.list()).map(viewOf);
  }

  async get(name: string): Promise<OperatorView | undefined> {
    const a = await this.store.operators.get(normalizeName(name));
    return a ? viewOf(a) : undefined;
  }

  private async existing(name: string): Promise<OperatorAccount> {
    const a = await this.store.operators.get(normalizeName(name));
    if (!a) throw new AccountError(`no operator named ${normalizeName(name)}`, "missing");
    return a;
  }

  /** Removes the account and ends its logins; how many logins ended. */
  async remove(name: string): Promise<number> {
    const a = await this.existing(name);
    await this.store.operators.remove(a.name);
    return this.store.logins.revokeAll(a.name);
  }

  /** A new password; every login of theirs ends (how many). */
  async setPassword(name: string, password: string): Promise<number> {
    const a = await this.existing(name);
    const passwordHash = await hashPassword(checkPassword(password));
    await this.store.operators.update({ ...a, passwordHash, updatedAt: this.now() });
    return this.store.logins.revokeAll(a.name);
  }

  async setRole(name: string, role: string): Promise<OperatorView> {
    const a = await this.existing(name);
    const next = { ...a, role: checkRole(role), updatedAt: this.now() };
    await this.store.operators.update(next);
    return viewOf(next);
  }

  /** The account when the password is right; as slow for an unknown name as for a wrong password. */
  async verify(name: string, password: string): Promise<OperatorAccount | undefined> {
    if (password.length > MAX_PASSWORD) return undefined;
    const n = normalizeName(name);
    const a = NAME_PATTERN.test(n) ? await this.store.operators.get(n) : undefined;
    const ok = await verifyPassword(password, a?.passwordHash ?? (await dummyHash()));
    return a && ok ? a : undefined;
  }
}
