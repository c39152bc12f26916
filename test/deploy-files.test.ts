import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { coreEnvShape } from "../src/config/env.js";
import { channelsEnvShape } from "../src/root/env.js";

/**
 * What can be checked about the Docker files without a Docker engine: the image needs only
 * production dependencies, the build context keeps what the Dockerfile copies, and the
 * compose file hands the apps the whole .env plus the content directories.
 */

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  license?: string;
};
const dockerfile = readFileSync("Dockerfile", "utf8");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** `COPY <sources…> <dest>` lines that read the build context (not `--from=` a stage). */
function copiedFromContext(): string[] {
  return dockerfile
    .split("\n")
    .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
}

/** A root-level .dockerignore pattern as a RegExp over context-relative paths. */
function ignoreRule(pattern: string): RegExp {
  const p = pattern.replace(/^\/+|\/+$/g, "");
  const re = p
    .split("")
    .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${re}(/.*)?$`);
}

describe("the Docker image", () => {
  it("installs production dependencies only and runs what npm start runs", () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(pkg.scripts.start).toBe("tsx src/cli/server.ts");
    expect(pkg.dependencies.tsx, "tsx runs the sources in the image: a production dependency").toBeDefined();
    expect(dockerfile).toMatch(/CMD \["node", "--import", "tsx", "src\/cli\/server\.ts"\]/);
  });

  it("has every package that src/ and adapters/ import among the production dependencies", () => {
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of [...tsFiles("src"), ...tsFiles("adapters")]) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^".][^"]*)"/g)) {
        if (m[2]) continue; // type-only: erased at run time
        const spec = m[3] ?? "";
        if (spec.startsWith("node:") || builtins.has(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec);
        if (!pkg.dependencies[name]) missing.add(`${name} (${file})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("keeps in the build context everything the Dockerfile copies, and no .env", () => {
    const patterns = readFileSync(".dockerignore", "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(
      patterns.some((p) => p.startsWith("!")),
      "negations are not understood by this test",
    ).toBe(false);
    const rules = patterns.map(ignoreRule);
    const copied = copiedFromContext();
    expect(copied).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "src", "adapters", "config"]));
    for (const path of copied)
      expect(
        rules.some((r) => r.test(path)),
        `${path} is excluded by .dockerignore`,
      ).toBe(false);
    for (const path of [".env", "node_modules", ".git", "data", "test", "docs/webchat-desktop.png"])
      expect(
        rules.some((r) => r.test(path)),
        `${path} should stay out of the image`,
      ).toBe(true);
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as {
    services: Record<
      string,
      { env_file?: string | string[]; environment?: Record<string, string>; volumes?: string[]; image?: string }
    >;
  };
  const apps = Object.entries(compose.services).filter(([name]) => /^app\d+$/.test(name));

  it("gives every app process the whole .env, Redis, and config/ and flows/ from the host", () => {
    expect(apps.length).toBeGreaterThan(1);
    for (const [name, app] of apps) {
      expect([app.env_file].flat(), name).toContain(".env");
      expect(app.environment?.REDIS_URL, name).toMatch(/^redis:\/\//);
      expect(app.environment?.TRUST_PROXY, name).toBe("1");
      expect(app.environment?.METRICS_PORT, name).toBeDefined();
      expect(app.volumes, name).toEqual(expect.arrayContaining(["./config:/app/config:ro", "./flows:/app/flows:ro"]));
    }
  });

  it("lists in .env.example only variables the server or its commands read", () => {
    const known = new Set([...Object.keys(coreEnvShape), ...Object.keys(channelsEnvShape)]);
    const names = readFileSync(".env.example", "utf8")
      .split("\n")
      .map((l) => /^([A-Z_][A-Z0-9_]*)=/.exec(l)?.[1])
      .filter((n): n is string => !!n);
    expect(names.length).toBeGreaterThan(10);
    // DOMAIN is Caddy's (compose); ZALO_REDIRECT_URI is read by `npm run zalo:authorize` only.
    const elsewhere = new Set(["DOMAIN", "ZALO_REDIRECT_URI"]);
    for (const n of names)
      if (!elsewhere.has(n)) expect(known.has(n), `${n} is not an environment variable hotro reads`).toBe(true);
  });
});

describe("the license", () => {
  it("is MIT, in LICENSE and package.json", () => {
    expect(pkg.license).toBe("MIT");
    expect(readFileSync("LICENSE", "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} hotro contributors\n/);
  });
});
