import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type Document, LineCounter, parseDocument, type YAMLError } from "yaml";
import type { z } from "zod";
import { hasLearned, LearnedFile } from "./learned.js";
import { DEFAULT_PRIVACY, type PrivacyConfig } from "./privacy.js";
import {
  type Commands,
  ConfigFile,
  EMPTY_LEXICON,
  type FlowsFile,
  FlowsFile as FlowsSchema,
  type Form,
  type Intent,
  type Lexicon,
  type Localized,
  MediaConfig,
  type MessageKey,
  type OfficialChannel,
  QualityConfig,
  WebchatConfig,
  WebchatFloods,
  type Weekly,
} from "./schema.js";
import { type Config, type Content, ContentError, type Locator, type Problem } from "./types.js";
import { validateContent } from "./validate.js";

interface Parsed<T> {
  file: string;
  data: T;
  locate: (path: (string | number)[]) => number;
}

function yamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

function parseFile<S extends z.ZodType>(path: string, schema: S, problems: Problem[]): Parsed<z.infer<S>> | undefined {
  const rel = relative(process.cwd(), path);
  const file = rel && !rel.startsWith("..") ? rel : path;
  const lines = new LineCounter();
  const text = readFileSync(path, "utf8");
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of yamlCauses(doc.errors)) {
      const { line, col } = lines.linePos(e.pos[0]);
      const what = e.code === "DUPLICATE_KEY" ? "YAML" : "YAML syntax";
      problems.push({ file, line, message: `${what} (column ${col}): ${e.message.split("\n")[0]}` });
    }
    return undefined;
  }
  const locate = (path: (string | number)[]) => lineOf(doc, lines, path);
  const result = schema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
      const where = path.length > 0 ? `${path.join(".")}: ` : "";
      problems.push({ file, line: locate(path), message: `${where}${issue.message}` });
    }
    return undefined;
  }
  return { file, data: result.data, locate };
}

/**
 * The errors worth showing: one broken spot makes the parser report many follow-on errors
 * (up to hundreds, each at a later token), so only the first syntax error is kept, with the
 * duplicate keys found before it (each one a mistake of its own).
 */
function yamlCauses(errors: readonly YAMLError[]): YAMLError[] {
  const sorted = [...errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const syntax = sorted.find((e) => e.code !== "DUPLICATE_KEY");
  if (!syntax) return sorted;
  return [...sorted.filter((e) => e.code === "DUPLICATE_KEY" && e.pos[0] < syntax.pos[0]), syntax];
}

/** The line of the deepest node of `path` that exists (a missing key points at its parent). */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return 1;
}

/**
 * Read, validate and merge `flows/*.yaml` and `config/*.yaml`. Every problem found is
 * collected (not only the first), so `npm run check` can list them all.
 */
export function loadContent(dirs: { configDir: string; flowsDir: string; learnedFile?: string | undefined }): {
  content?: Content;
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const owners = new Map<string, { file: string; line: number; locate: (path: (string | number)[]) => number }>();
  const locator: Locator = (path) => {
    const owner = owners.get(path.slice(0, 2).join(".")) ?? owners.get(String(path[0]));
    if (!owner) return { file: dirs.configDir, line: 1 };
    return { file: owner.file, line: owner.locate(path[0] === "config" ? path.slice(1) : path) };
  };
  const claim = (key: string, parsed: Parsed<unknown>, path: (string | number)[], what: string) => {
    const line = parsed.locate(path);
    const prev = owners.get(key);
    if (prev)
      problems.push({ file: parsed.file, line, message: `${what} is already defined in ${prev.file}:${prev.line}` });
    else owners.set(key, { file: parsed.file, line, locate: parsed.locate });
  };

  const flowFiles = yamlFiles(dirs.flowsDir);
  const configFiles = yamlFiles(dirs.configDir);
  if (flowFiles.length === 0) problems.push({ file: dirs.flowsDir, line: 1, message: "no YAML files found" });
  if (configFiles.length === 0) problems.push({ file: dirs.configDir, line: 1, message: "no YAML files found" });

  const flows: { intents: Record<string, Intent>; forms: Record<string, Form>; messages: Record<string, Localized> } = {
    intents: {},
    forms: {},
    messages: {},
  };
  let lexicon: Lexicon | undefined;
  let commands: Commands | undefined;
  for (const path of flowFiles) {
    const parsed = parseFile(path, FlowsSchema, problems);
    if (!parsed) continue;
    const data = parsed.data as FlowsFile;
    for (const section of ["intents", "forms", "messages"] as const) {
      const entries = data[section] ?? {};
      for (const [id, value] of Object.entries(entries)) {
        claim(`${section}.${id}`, parsed, [section, id], `${section.slice(0, -1)} \`${id}\``);
        (flows[section] as Record<string, unknown>)[id] = value;
      }
    }
    if (data.lexicon) {
      claim("lexicon", parsed, ["lexicon"], "the lexicon");
      lexicon = data.lexicon;
    }
    if (data.commands) {
      claim("commands", parsed, ["commands"], "the commands");
      commands = data.commands;
    }
  }

  if (hasLearned(dirs.learnedFile)) {
    const parsed = parseFile(dirs.learnedFile, LearnedFile, problems);
    for (const [id, added] of Object.entries(parsed?.data.learned ?? {})) {
      const intent = flows.intents[id];
      if (!intent || !parsed) {
        problems.push({
          file: parsed?.file ?? dirs.learnedFile,
          line: parsed?.locate(["learned", id]) ?? 1,
          message: `learned examples for intent \`${id}\`, which no flow defines`,
        });
        continue;
      }
      const merge = (a: string[], b: string[]) => [...new Set([...a, ...b])];
      flows.intents[id] = {
        ...intent,
        examples: { vi: merge(intent.examples.vi, added.vi), en: merge(intent.examples.en, added.en) },
      };
    }
  }

  const config: Record<string, unknown> = {};
  for (const path of configFiles) {
    const parsed = parseFile(path, ConfigFile, problems);
    if (!parsed) continue;
    for (const [key, value] of Object.entries(parsed.data)) {
      if (value === undefined) continue;
      claim(`config.${key}`, parsed, [key], `config key \`${key}\``);
      config[key] = value;
    }
  }
  if (problems.length > 0) return { problems };

  const content: Content = {
    flows: {
      intents: flows.intents,
      forms: flows.forms,
      messages: flows.messages as Record<MessageKey, Localized>,
      lexicon: lexicon ?? EMPTY_LEXICON,
      commands: commands ?? { cancel: [], skip: [], menu: [], telegram_menu: [] },
    },
    config: withDefaults(config),
  };
  problems.push(...validateContent(content, config, locator));
  if (problems.length > 0) return { problems };
  return { content: deepFreeze(content), problems };
}

/** Without config/sla.yaml: a working day to answer, a week to resolve, whatever the priority. */
const DEFAULT_SLA: Config["sla"] = {
  warn_at: 0.8,
  targets: {
    low: { first_response_minutes: 480, next_response_minutes: 480, resolution_minutes: 2400 },
    normal: { first_response_minutes: 240, next_response_minutes: 240, resolution_minutes: 1440 },
    high: { first_response_minutes: 60, next_response_minutes: 60, resolution_minutes: 480 },
    urgent: { first_response_minutes: 15, next_response_minutes: 15, resolution_minutes: 240 },
  },
};

function withDefaults(c: Record<string, unknown>): Config {
  const limits = (c.limits ?? {}) as Partial<Config["limits"]>;
  return {
    brand: (c.brand as Config["brand"]) ?? { name: "", request_prefix: "HT" },
    timezone: (c.timezone as string) ?? "Asia/Ho_Chi_Minh",
    channels: (c.channels as OfficialChannel[]) ?? [],
    support_hours: (c.support_hours as Weekly) ?? { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
    holidays: (c.holidays as string[]) ?? [],
    notice: c.notice as Config["notice"],
    limits: {
      max_message_chars: limits.max_message_chars ?? 4000,
      flood_messages: limits.flood_messages ?? 10,
      flood_seconds: limits.flood_seconds ?? 10,
      human_idle_minutes: limits.human_idle_minutes ?? 60,
      inbox_echo_minutes: limits.inbox_echo_minutes ?? 30,
      form_failures_before_escalation: limits.form_failures_before_escalation ?? 2,
      webchat: limits.webchat ?? WebchatFloods.parse({}),
    },
    matcher: (c.matcher as Config["matcher"]) ?? { answer_threshold: 0.55, clarify_threshold: 0.3, margin: 0.15 },
    delivery: { per_channel: 16, operators: 8, ...(c.delivery as Partial<Config["delivery"]> | undefined) },
    escalation: (c.escalation as Config["escalation"]) ?? { rules: [], word_lists: {} },
    operators: (c.operators as Config["operators"]) ?? { language: "vi", help_every_minutes: 10 },
    webchat: (c.webchat as Config["webchat"] | undefined) ?? WebchatConfig.parse({}),
    media: (c.media as Config["media"] | undefined) ?? MediaConfig.parse({}),
    sla: (c.sla as Config["sla"] | undefined) ?? DEFAULT_SLA,
    quality: (c.quality as Config["quality"] | undefined) ?? QualityConfig.parse({}),
    privacy: (c.privacy as PrivacyConfig | undefined) ?? DEFAULT_PRIVACY,
  };
}

/** Content is shared by every conversation: freezing it turns an accidental write into an error. */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Load or throw a `ContentError` listing every problem (start-up uses this). */
export function loadContentOrThrow(dirs: {
  configDir: string;
  flowsDir: string;
  learnedFile?: string | undefined;
}): Content {
  const { content, problems } = loadContent(dirs);
  if (!content) throw new ContentError(problems);
  return content;
}
