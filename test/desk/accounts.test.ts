import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorCommand } from "../../src/cli/operator.js";
import { Accounts } from "../../src/desk/accounts.js";
import { hashPassword, verifyPassword } from "../../src/desk/passwords.js";
import type { Backend } from "../../src/ports/backend.js";
import type { ConsoleLogin } from "../../src/ports/desk.js";
import { redisBackend } from "../../src/store/redis/backend.js";
import { embeddedBackend } from "../../src/store/sqlite/backend.js";
import { flushPrefix, redisReachable, redisUrl } from "../helpers/redis.js";
import { memoryLog } from "../zalo/fake-zalo.js";

const PASSWORD = "correct horse battery";

describe("passwords", () => {
  it("are hashed with scrypt, a salt of their own, and verified in constant time", async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, a)).toBe(false);
    expect(await verifyPassword(PASSWORD, "scrypt$0$8$1$x$y")).toBe(false);
    expect(await verifyPassword(PASSWORD, "plain")).toBe(false);
    // NFC and NFD spellings of one password are the same password.
    const vi = await hashPassword("mật khẩu dài lắm");
    expect(await verifyPassword("mật khẩu dài lắm".normalize("NFD"), vi)).toBe(true);
  });
});

/** The same checks on both stores: every process of a deployment sees the same accounts and logins. */
const REDIS_PREFIX = `test:desk:${randomUUID()}:`;
const stores: [string, () => Promise<Backend | undefined>][] = [
  ["SQLite", async () => embeddedBackend(":memory:", memoryLog().log, "HT")],
  [
    "Redis",
    async () =>
      (await redisReachable())
        ? redisBackend({ url: redisUrl(), prefix: REDIS_PREFIX, requestPrefix: "HT", log: memoryLog().log })
        : undefined,
  ],
];

for (const [kind, make] of stores) {
  describe(`operator accounts and logins on ${kind}`, () => {
    let b: Backend | undefined;
    beforeAll(async () => {
      b = await make();
    });
    afterAll(async () => {
      await b?.close();
      if (kind === "Redis" && b) await flushPrefix(REDIS_PREFIX);
    });

    it("adds, lists, verifies, changes and removes accounts", async (ctx) => {
      if (!b) return ctx.skip();
      const accounts = new Accounts(b.desk);
      expect(await b.desk.operators.count()).toBe(0);
      const lan = await accounts.add({ name: "Lan", role: "agent", password: PASSWORD, displayName: "Lan Nguyễn" });
      expect(lan).toEqual({ name: "lan", displayName: "Lan Nguyễn", role: "agent" });
      await expect(accounts.add({ name: "LAN", role: "lead", password: PASSWORD })).rejects.toThrow(/already exists/);
      await expect(accounts.add({ name: "x y", role: "agent", password: PASSWORD })).rejects.toThrow(
        /not a valid name/,
      );
      await expect(accounts.add({ name: "minh", role: "boss", password: PASSWORD })).rejects.toThrow(/not a role/);
      await expect(accounts.add({ name: "minh", role: "agent", password: "short" })).rejects.toThrow(/too short/);
      await accounts.add({ name: "minh", role: "admin", password: PASSWORD });
      expect((await accounts.list()).map((a) => `${a.name}:${a.role}`)).toEqual(["lan:agent", "minh:admin"]);
      expect(await b.desk.operators.count()).toBe(2);
      // The hash never leaves through the views.
      expect(JSON.stringify(await accounts.list())).not.toContain("scrypt");

      expect((await accounts.verify("lan", PASSWORD))?.name).toBe("lan");
      expect(await accounts.verify(" LAN ", PASSWORD)).toBeDefined();
      expect(await accounts.verify("lan", "wrong password")).toBeUndefined();
      expect(await accounts.verify("nobody", PASSWORD)).toBeUndefined();

      expect((await accounts.setRole("lan", "lead")).role).toBe("lead");
      await accounts.setPassword("lan", "a brand new password");
      expect(await accounts.verify("lan", PASSWORD)).toBeUndefined();
      expect(await accounts.verify("lan", "a brand new password")).toBeDefined();

      await accounts.remove("minh");
      await expect(accounts.remove("minh")).rejects.toThrow(/no operator named minh/);
      expect((await accounts.list()).map((a) => a.name)).toEqual(["lan"]);
    });

    it("keeps logins until they lapse, and ends them one by one or all of an operator's", async (ctx) => {
      if (!b) return ctx.skip();
      const now = Date.now();
      const login = (tokenHash: string, operator: string, expiresAt = now + 3_600_000): ConsoleLogin => ({
        tokenHash,
        operator,
        createdAt: now,
        lastSeenAt: now,
        expiresAt,
      });
      await b.desk.logins.create(login("h1", "lan"), 60_000);
      await b.desk.logins.create(login("h2", "lan"), 60_000);
      await b.desk.logins.create(login("h3", "minh"), 60_000);
      await b.desk.logins.create(login("short", "minh"), 30);
      expect((await b.desk.logins.get("h1"))?.operator).toBe("lan");
      await new Promise((r) => setTimeout(r, 60));
      expect(await b.desk.logins.get("short")).toBeUndefined();

      await b.desk.logins.touch("h1", now + 5, 60_000);
      expect((await b.desk.logins.get("h1"))?.lastSeenAt).toBe(now + 5);
      await b.desk.logins.revoke("h3");
      expect(await b.desk.logins.get("h3")).toBeUndefined();
      // A revoked login stays revoked when a late request touches it.
      await b.desk.logins.touch("h3", now + 6, 60_000);
      expect(await b.desk.logins.get("h3")).toBeUndefined();

      expect(await b.desk.logins.revokeAll("lan")).toBe(2);
      expect(await b.desk.logins.get("h1")).toBeUndefined();
      expect(await b.desk.logins.get("h2")).toBeUndefined();
      expect(await b.desk.logins.revokeAll("lan")).toBe(0);
    });

    it("ends an operator's logins when their password changes or they are removed", async (ctx) => {
      if (!b) return ctx.skip();
      const accounts = new Accounts(b.desk);
      await accounts.add({ name: "thu", role: "agent", password: PASSWORD });
      const now = Date.now();
      const l = { operator: "thu", createdAt: now, lastSeenAt: now, expiresAt: now + 60_000 };
      await b.desk.logins.create({ ...l, tokenHash: "t1" }, 60_000);
      expect(await accounts.setPassword("thu", "another long one")).toBe(1);
      expect(await b.desk.logins.get("t1")).toBeUndefined();
      await b.desk.logins.create({ ...l, tokenHash: "t2" }, 60_000);
      expect(await accounts.remove("thu")).toBe(1);
      expect(await b.desk.logins.get("t2")).toBeUndefined();
    });
  });
}

describe("npm run operator", () => {
  let b: ReturnType<typeof embeddedBackend>;
  beforeAll(() => {
    b = embeddedBackend(":memory:", memoryLog().log, "HT");
  });
  afterAll(() => b.close());

  const run = async (argv: string[], stdin?: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const prompts: string[] = [];
    const code = await operatorCommand(argv, {
      readPassword: async (p) => {
        prompts.push(p);
        return stdin;
      },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      backend: b,
    });
    return { code, out, err, prompts };
  };

  it("adds the first admin with the password from standard input, lists, changes and removes", async () => {
    expect((await run(["list"])).out.join("\n")).toMatch(/no operators yet/);
    const add = await run(["add", "admin", "--role", "admin"], PASSWORD);
    expect(add).toMatchObject({ code: 0, err: [] });
    expect(add.out.join("\n")).toContain("operator admin added (admin)");
    expect(await new Accounts(b.desk).verify("admin", PASSWORD)).toBeDefined();
    expect((await run(["add", "lan", "--role=agent", "--name", "Lan Nguyễn"], PASSWORD)).code).toBe(0);
    expect((await run(["list"])).out).toEqual(["admin\tadmin", "lan\tagent\tLan Nguyễn"]);
    expect((await run(["passwd", "lan"], "the new password")).code).toBe(0);
    expect(await new Accounts(b.desk).verify("lan", "the new password")).toBeDefined();
    expect((await run(["role", "lan", "--role", "lead"])).out).toEqual(["operator lan is now lead"]);
    expect((await run(["remove", "lan"])).code).toBe(0);
    expect((await run(["list"])).out).toEqual(["admin\tadmin"]);
    // Each change is in the audit log, made by `cli`.
    const audit = (await b.audit.list()).map((e) => [e.actor, e.action, e.target]);
    expect(audit).toEqual([
      ["cli", "operator_add", "admin"],
      ["cli", "operator_add", "lan"],
      ["cli", "operator_change", "lan"],
      ["cli", "operator_change", "lan"],
      ["cli", "operator_remove", "lan"],
    ]);
  });

  it("refuses a password on the command line, a missing one, a bad role and unknown commands", async () => {
    const argv = await run(["add", "x1", "--role", "agent", "--password", PASSWORD], PASSWORD);
    expect(argv.code).toBe(2);
    expect(argv.err.join("\n")).toMatch(/standard input, never from the command line/);
    const none = await run(["add", "x2", "--role", "agent"], undefined);
    expect(none).toMatchObject({ code: 1 });
    expect(none.err.join("\n")).toMatch(/no password on standard input/);
    expect((await run(["add", "x3", "--role", "boss"], PASSWORD)).err.join("\n")).toMatch(/not a role/);
    expect((await run(["add", "x4"], PASSWORD)).err.join("\n")).toMatch(/--role/);
    expect((await run(["frobnicate"])).code).toBe(2);
    expect((await run(["remove"])).code).toBe(2);
    expect((await run(["remove", "ghost"])).err.join("\n")).toMatch(/no operator named ghost/);
  });
});
