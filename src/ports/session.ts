import type { QuickReply } from "./message.js";
import type { OutboxJob } from "./queue.js";
import type { Lang, Priority } from "./vocabulary.js";

export type RequestStatus = "open" | "in_progress" | "resolved";

/** What the conversation knows about one of the user's requests (the record itself lives in the request store). */
export interface RequestRef {
  id: string;
  intent: string;
  title: string;
  status: RequestStatus;
  priority: Priority;
  createdAt: number;
  /** Whether operators were asked to take it (escalated) or it was only filed. */
  escalated: boolean;
  /** A person wrote to the user about it (only then is the user asked to rate the help). */
  personReplied?: boolean;
  /** The rating was asked (or skipped for the window) once already: never again. */
  ratingAsked?: boolean;
}

export interface TranscriptLine {
  from: "user" | "bot" | "operator";
  text: string;
  at: number;
}

export interface FormState {
  id: string;
  /** The intent that started it; its request carries this intent. */
  intent: string;
  field: number;
  answers: Record<string, string>;
  attempts: number;
  /** Set when an escalation rule asked for the form: the request goes to people when it is done. */
  escalation?: { rule: string; priority: Priority };
  /**
   * The form waits while a question asked in the middle of it is finished: the bot asked
   * back ("send me the link") and the next message answers that, not the form's question.
   */
  paused?: "verify_official";
}

/**
 * Everything the engine knows about one conversation, read once per event and written once
 * after it (DESIGN.md: Bot Framework's state split, user and conversation in one bag
 * because a conversation here is one user on one channel).
 */
export interface Session {
  v: 1;
  lang: Lang;
  /** `human`: a person handles the conversation and the bot keeps quiet. */
  mode: "bot" | "human";
  /** When the bot may speak again on its own if no person is active (ms). */
  humanUntil?: number;
  form?: FormState;
  formFailures: number;
  fallbackStreak: number;
  lastIntent?: string;
  /** The request a person is handling or the user last filed. */
  openRequestId?: string;
  /** The bot asked what to add to this request: the next message is added to it. */
  attachTo?: string;
  requests: RequestRef[];
  /** Quick replies offered last, so "2" or a button's label maps back to its payload. */
  choices?: QuickReply[];
  displayName?: string;
  /** Recent lines (masked), given to operators with an escalation. */
  recent: TranscriptLine[];
  flood?: { windowStart: number; count: number; notified: boolean };
  lastUserAt?: number;
  /** The rating asked after a person closed a request: the next message may answer it. */
  rating?: { requestId: string; stage: "score" | "comment"; at: number; score?: number };
  /** When this user first wrote on this channel (ms): breach reports ask who was held when. */
  firstAt?: number;
  /** The privacy notice this user was shown, and their consent, each with its version and time (shown on request). */
  privacy?: PrivacyRecord;
}

export interface PrivacyRecord {
  notice?: { version: number; at: number };
  /** `given: false`: withdrawn (or not yet given where consent is required). */
  consent?: { version: number; at: number; given: boolean };
}

/** The session plus the outcome of the last event, so replaying that event after a crash repeats nothing. */
export interface StoredSession extends Session {
  processed?: { key: string; jobs: OutboxJob[] };
}
