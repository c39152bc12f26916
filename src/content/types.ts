import type { PrivacyConfig } from "./privacy.js";
import type {
  Commands,
  EscalationRule,
  Form,
  Intent,
  Lexicon,
  Localized,
  MediaConfig,
  MessageKey,
  OfficialChannel,
  QualityConfig,
  SlaConfig,
  WebchatConfig,
  WebchatFloods,
  Weekly,
} from "./schema.js";

/** The content pack and the deployment's config as the rest of the bot reads them, and their problems. */

/** A problem in a content or config file, printed as `file:line: message`. */
export interface Problem {
  file: string;
  line: number;
  message: string;
}

export class ContentError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`content and config have ${problems.length} problem(s):\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ContentError";
  }
}

export const formatProblem = (p: Problem) => `${p.file}:${p.line}: ${p.message}`;

export interface Config {
  brand: { name: string; request_prefix: string; website?: string | undefined };
  timezone: string;
  channels: OfficialChannel[];
  support_hours: Weekly;
  holidays: string[];
  notice: { active: boolean; text: Localized } | undefined;
  limits: {
    max_message_chars: number;
    flood_messages: number;
    flood_seconds: number;
    human_idle_minutes: number;
    inbox_echo_minutes: number;
    form_failures_before_escalation: number;
    webchat: WebchatFloods;
  };
  matcher: { answer_threshold: number; clarify_threshold: number; margin: number };
  /** Sends in flight at once per process: per channel, and for the operators' posts. */
  delivery: { per_channel: number; operators: number };
  escalation: { rules: EscalationRule[]; word_lists: Record<string, string[]> };
  operators: { language: "vi" | "en"; help_every_minutes: number };
  webchat: WebchatConfig;
  media: MediaConfig;
  sla: SlaConfig;
  quality: QualityConfig;
  privacy: PrivacyConfig;
}

export interface Flows {
  intents: Record<string, Intent>;
  forms: Record<string, Form>;
  messages: Record<MessageKey, Localized>;
  lexicon: Lexicon;
  commands: Commands;
}

export interface Content {
  config: Config;
  flows: Flows;
}

/** Where a YAML path was defined, for cross-reference errors found after merging. */
export type Locator = (path: (string | number)[]) => { file: string; line: number };
