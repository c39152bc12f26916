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
    writeFileSync(file, `${readFileSync(file, "utf8")}\n  broken: [unclosed\n`);
    const p = problems(pack);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/flows\/general\.yaml:\d+: YAML: /);
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
