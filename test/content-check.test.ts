import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadContent } from "../src/content/load.js";
import { formatProblem } from "../src/content/types.js";

/** A copy of the shipped pack to break in one place. */
function copyPack(): { dir: string; config: string; flows: string } {
  const dir = mkdtempSync(join(tmpdir(), "hotro-check-"));
  cpSync("config", join(dir, "config"), { recursive: true });
  cpSync("flows", join(dir, "flows"), { recursive: true });
  return { dir, config: join(dir, "config"), flows: join(dir, "flows") };
}

function edit(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`pattern not found in ${path}: ${from}`);
  writeFileSync(path, next);
}

function problems(p: { config: string; flows: string }): string[] {
  return loadContent({ configDir: p.config, flowsDir: p.flows }).problems.map(formatProblem);
}

const lineOf = (path: string, needle: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .findIndex((l) => l.includes(needle)) + 1;

describe("npm run check", () => {
  let pack: ReturnType<typeof copyPack>;
  afterEach(() => rmSync(pack.dir, { recursive: true, force: true }));

  it("passes on the shipped pack", () => {
    pack = copyPack();
    expect(problems(pack)).toEqual([]);
    const out = execFileSync("npx", ["tsx", "src/cli/check.ts"], {
      env: { ...process.env, CONFIG_DIR: pack.config, FLOWS_DIR: pack.flows },
      encoding: "utf8",
    });
    expect(out).toMatch(/^ok: \d+ intents/m);
  });

  it("points at the line of broken YAML", () => {
    pack = copyPack();
    const file = join(pack.flows, "general.yaml");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, `${text}\n  broken: [unclosed\n`);
    const p = problems(pack);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/flows\/general\.yaml:\d+: YAML syntax \(column \d+\): /);
    expect(Number(p[0]?.split(":")[1])).toBeGreaterThan(text.split("\n").length);
  });

  /** Line 12 of a copy of flows/general.yaml, replaced (lines 11 and 13 stay as shipped). */
  const brokenOnLine12: [string, (line11: string) => [string, string], RegExp][] = [
    [
      "a flow map continued on line 12 without indentation",
      (l11) => [l11.replace("- chào bạn", '- { vi: "chào bạn",'), '        en: "hello" }'],
      /^YAML syntax \(column 9\): Flow map in block collection must be sufficiently indented/,
    ],
    [
      "an unclosed quote on line 12",
      (l11) => [l11, '        - "ad ơi'],
      /^YAML syntax \(column \d+\): Missing closing "quote/,
    ],
    ["a tab as indentation on line 12", (l11) => [l11, "\t- ad ơi"], /^YAML syntax \(column 1\): Tabs are not allowed/],
  ];
  for (const [what, breakIt, message] of brokenOnLine12) {
    it(`reports ${what} at line 12, once`, () => {
      pack = copyPack();
      const file = join(pack.flows, "general.yaml");
      const lines = readFileSync(file, "utf8").split("\n");
      expect(lines[10]).toContain("- chào bạn");
      [lines[10], lines[11]] = breakIt(lines[10] ?? "");
      writeFileSync(file, lines.join("\n"));
      const p = problems(pack);
      expect(p).toHaveLength(1);
      expect(p[0]?.startsWith(`${file}:12: `)).toBe(true);
      expect(p[0]?.slice(`${file}:12: `.length)).toMatch(message);
    });
  }

  it("prints a broken file's syntax error once, at its line, from npm run check", () => {
    pack = copyPack();
    const file = join(pack.flows, "general.yaml");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[11] = "\t- ad ơi";
    writeFileSync(file, lines.join("\n"));
    let err = "";
    try {
      execFileSync("npx", ["tsx", "src/cli/check.ts"], {
        env: { ...process.env, CONFIG_DIR: pack.config, FLOWS_DIR: pack.flows },
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (e) {
      err = (e as { stderr: string }).stderr;
    }
    const out = err.trim().split("\n");
    expect(out).toEqual([
      `${file}:12: YAML syntax (column 1): Tabs are not allowed as indentation`,
      "1 problem(s) found",
    ]);
  });

  it("reports each duplicate key at its own line", () => {
    pack = copyPack();
    const file = join(pack.flows, "general.yaml");
    edit(file, "    suggest: false\n", "    suggest: false\n    suggest: true\n");
    const line = lineOf(file, "suggest: true");
    const p = problems(pack);
    expect(p).toEqual([`${file}:${line}: YAML (column 5): Map keys must be unique`]);
  });

  it("checks the live chat's flood limits in limits.yaml, with their lines", () => {
    pack = copyPack();
    const file = join(pack.config, "limits.yaml");
    edit(file, "new_visitors_per_ip: 10", "new_visitors_per_ip: 0");
    edit(file, "escalations_per_minute: 10", "escalations_per_minute: lots");
    edit(file, "notice_minutes: 10", "notice_minutes: 10\n    per_visitor: 2");
    const p = problems(pack);
    expect(p).toContain(
      `${file}:${lineOf(file, "new_visitors_per_ip: 0")}: limits.webchat.new_visitors_per_ip: Too small: expected number to be >=1`,
    );
    expect(
      p.some((x) =>
        x.startsWith(`${file}:${lineOf(file, "escalations_per_minute")}: limits.webchat.escalations_per_minute:`),
      ),
    ).toBe(true);
    expect(p.some((x) => x.includes("per_visitor"))).toBe(true);
  });

  it("names an unknown intent referenced by a quick reply, with its line", () => {
    pack = copyPack();
    const file = join(pack.flows, "general.yaml");
    edit(file, /quick_replies: \[contact\.channels/, "quick_replies: [contact.channelz");
    const line = lineOf(file, "contact.channelz");
    expect(problems(pack)).toContain(`${file}:${line}: quick reply refers to unknown intent \`contact.channelz\``);
  });

  it("names an escalation rule's unknown intent", () => {
    pack = copyPack();
    const file = join(pack.config, "escalation.yaml");
    edit(file, "account.locked", "account.lockd");
    expect(
      problems(pack).some((m) => m.includes("escalation.yaml") && m.includes("unknown intent `account.lockd`")),
    ).toBe(true);
  });

  it("reports a missing translation", () => {
    pack = copyPack();
    const file = join(pack.flows, "messages.yaml");
    const text = readFileSync(file, "utf8");
    // drop the English line of the first message
    const lines = text.split("\n");
    const en = lines.findIndex((l) => /^\s+en:/.test(l));
    lines.splice(en, 1);
    writeFileSync(file, lines.join("\n"));
    const p = problems(pack);
    expect(p.some((m) => m.startsWith(file) && /en: /.test(m))).toBe(true);
  });

  it("reports a missing hotline", () => {
    pack = copyPack();
    const file = join(pack.config, "channels.yaml");
    edit(file, /kind: hotline/, "kind: livechat");
    expect(problems(pack).some((m) => m.includes("missing hotline"))).toBe(true);
  });

  it("prints file:line: message and exits 1", () => {
    pack = copyPack();
    edit(join(pack.config, "escalation.yaml"), "account.locked", "account.lockd");
    let out = "";
    let code = 0;
    try {
      execFileSync("npx", ["tsx", "src/cli/check.ts"], {
        env: { ...process.env, CONFIG_DIR: pack.config, FLOWS_DIR: pack.flows },
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (err) {
      const e = err as { status: number; stderr: string };
      code = e.status;
      out = e.stderr;
    }
    expect(code).toBe(1);
    expect(out).toMatch(/escalation\.yaml:\d+: rule `[a-z_]+` refers to unknown intent `account\.lockd`/);
  });
});
