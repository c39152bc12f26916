import { z } from "zod";
import { RETENTION_KINDS, type Retention } from "../ports/people.js";

/** `90d`, `12h`, `15m`, `30s`, `500ms`: periods are written with their unit so a file can be read aloud. */
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationMs(s: string): number {
  const m = DURATION.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const Duration = z
  .string()
  .regex(DURATION, "a period such as 90d, 12h, 15m (units: d h m s ms)")
  .refine((s) => durationMs(s) > 0, "a period longer than zero");

/**
 * `config/privacy.yaml`: what Vietnam's Personal Data Protection Law (Law 91/2025/QH15,
 * Decree 356/2025) asks a desk to decide and be able to show. Every period is the
 * deployment's choice (the law's own numbers were still being read differently in early
 * 2026: see README, Personal data), so none is fixed in code.
 */
export const PrivacyConfig = z
  .object({
    /** The full policy the notice links to. */
    policy_url: z.string().url(),
    /** Raise it when the notice's text changes: every user is shown the new one once. */
    notice_version: z.number().int().min(1).default(1),
    /** Keep nothing beyond the message being answered until the user says "Đồng ý / Agree". */
    consent_required: z.boolean().default(false),
    retention: z
      .object({
        transcripts: Duration.default("365d"),
        requests: Duration.default("730d"),
        media: Duration.default("90d"),
        sessions: Duration.default("90d"),
        dedupe: Duration.default("7d"),
        webchat_visitors: Duration.default("30d"),
        audit: Duration.default("1095d"),
      })
      .strict()
      .prefault({}),
    /** How long the desk has to answer a person's request about their data, counted from the request. */
    deadlines: z
      .object({ access: Duration.default("48h"), correct: Duration.default("48h"), erase: Duration.default("72h") })
      .strict()
      .prefault({}),
    /** How often the retention sweep runs in each server process. */
    sweep_every: Duration.default("1h"),
  })
  .strict();
export type PrivacyConfig = z.infer<typeof PrivacyConfig>;

export function retentionMs(p: PrivacyConfig): Retention {
  return Object.fromEntries(RETENTION_KINDS.map((k) => [k, durationMs(p.retention[k])])) as Retention;
}

export const DATA_REQUEST_KINDS = ["access", "correct", "erase"] as const;
export type DataRequestKind = (typeof DATA_REQUEST_KINDS)[number];

export const DEFAULT_PRIVACY: PrivacyConfig = PrivacyConfig.parse({ policy_url: "https://example.invalid/privacy" });
