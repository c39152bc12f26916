import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The house plan (docs/architecture.md), checked on every file's imports: the layers only
 * point down, nothing points back at the composition root, and no import runs in a circle.
 */
const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === "public" ? [] : sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec) continue;
    out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"));
  }
  return out;
}

const files = [...sources("src"), ...sources("adapters")];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

const under = (file: string, ...folders: string[]) => folders.some((d) => file.startsWith(`${d}/`));
const CORE = [
  "src/ports",
  "src/config",
  "src/content",
  "src/engine",
  "src/nlu",
  "src/text",
  "src/render",
  "src/runtime",
  "src/store",
  "src/queue",
  "src/security",
  "src/desk",
  "src/quality",
  "src/privacy",
];
const TOP = ["adapters", "src/server", "src/cli", "src/root", "src/shell"];

function violations(rule: (from: string, to: string) => boolean): string[] {
  const out: string[] = [];
  for (const [from, tos] of graph) for (const to of tos) if (rule(from, to)) out.push(`${from} -> ${to}`);
  return out;
}

describe("the layers", () => {
  it("reads every source file's imports", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get("src/runtime/runtime.ts")?.some((t) => t.startsWith("src/ports/"))).toBe(true);
  });

  it("ports import nothing but other ports", () => {
    expect(violations((f, t) => under(f, "src/ports") && !under(t, "src/ports"))).toEqual([]);
  });

  it("core folders never import an adapter, the server, a CLI or the composition root", () => {
    expect(violations((f, t) => under(f, ...CORE) && under(t, ...TOP))).toEqual([]);
  });

  it("the server knows no adapter and no entry point", () => {
    expect(violations((f, t) => under(f, "src/server") && under(t, "adapters", "src/root", "src/cli"))).toEqual([]);
  });

  it("adapters never import the server, a CLI entry point or the composition root", () => {
    expect(violations((f, t) => under(f, "adapters") && under(t, "src/server", "src/cli", "src/root"))).toEqual([]);
  });

  it("only entry points import the composition root", () => {
    expect(violations((f, t) => under(t, "src/root") && !under(f, "src/root", "src/cli"))).toEqual([]);
  });
});

describe("import circles", () => {
  it("there are none", () => {
    // Tarjan's strongly connected components: any component of two or more files is a circle.
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
      }
      if (low.get(v) === idx.get(v)) {
        const part: string[] = [];
        for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
          on.delete(w);
          part.push(w);
          if (w === v) break;
        }
        if (part.length > 1) circles.push(part.sort());
      }
    };
    for (const f of graph.keys()) if (!idx.has(f)) visit(f);
    expect(circles.map((c) => c.map((f) => relative(ROOT, join(ROOT, f))).join(" <-> "))).toEqual([]);
  });
});
