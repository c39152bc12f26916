import type { Intent } from "../content/schema.js";
import type { Content } from "../content/types.js";
import type { Matcher, MatchResult, Zone } from "../nlu/matcher.js";
import type { ChannelId, InboundEvent, OutboundMessage, QuickReply } from "../ports/message.js";
import type { Session } from "../ports/session.js";
import type { Lang } from "../ports/vocabulary.js";
import type { Clock } from "../text/entities.js";
import type { Action } from "./actions.js";
import type { Escalation, EscalationRules, Signals } from "./escalation.js";
import { remember } from "./session.js";
import { Texts } from "./template.js";

export interface EngineDeps {
  content: Content;
  matcher: Matcher;
  rules: EscalationRules;
}

export interface EngineContext extends EngineDeps {
  now: Date;
  /** Whether operators can be reached (a console account exists, or an operators' group is configured). */
  operators: boolean;
  /** How many operators have the console open now; absent when unknown (a Telegram group). */
  online?: number;
  /**
   * Hours after the user's last message the platform still accepts the bot's messages on
   * this conversation's channel (absent: no window).
   */
  replyWindowHours?: number;
  /** The channel shows a rating as stars (capabilities' `ratingStars`). */
  ratingStars?: boolean;
  /**
   * Apply config/privacy.yaml to this turn (the notice, consent): the runtime always does. A
   * caller of `handle()` alone (unit tests of conversation logic) leaves it off and gets the
   * bare answers.
   */
  privacy?: boolean;
}

/**
 * What the helpers (intents, forms, requests) call back into without importing the engine:
 * routing a matched message, and starting a form. The engine fills it in.
 */
export interface TurnSteps {
  decide(t: Turn, text: string, m: MatchResult): void;
  startForm(t: Turn, formId: string, intent: string, rule?: Escalation): void;
}

/**
 * Everything one turn needs, passed to the helpers in `intents.ts` and `form-flow.ts`.
 * The session is a copy: the caller's object is never touched, so a failed turn writes
 * nothing back (grammY's session rule, EXAMPLES.md).
 */
export class Turn {
  readonly actions: Action[] = [];
  texts: Texts;
  intent?: string;
  zone?: Zone;
  /** The bot answers this user message itself: the notice and the consent rules apply to it. */
  privacy = false;
  /** This user has not seen the current privacy notice: it ends the turn's first reply. */
  noticeDue = false;

  constructor(
    readonly ctx: EngineContext,
    readonly session: Session,
    readonly event: InboundEvent | undefined,
    /** The engine's own steps, handed in so the helpers need not import the engine back. */
    readonly steps: TurnSteps,
  ) {
    this.texts = new Texts(ctx.content, session.lang, ctx.now);
  }

  get now(): number {
    return this.ctx.now.getTime();
  }

  get clock(): Clock {
    return { now: this.ctx.now, timeZone: this.ctx.content.config.timezone };
  }

  get channel(): ChannelId {
    return this.event?.channel ?? "cli";
  }

  setLang(lang: Lang | undefined): void {
    if (lang && lang !== this.session.lang) {
      this.session.lang = lang;
      this.texts = new Texts(this.ctx.content, lang, this.ctx.now);
    }
  }

  intentDef(id: string): Intent | undefined {
    return this.ctx.content.flows.intents[id];
  }

  /** A quick reply that opens an intent, labelled with its title; `menu` opens the menu. */
  quickReply(spec: string | { label: { vi: string; en: string }; payload: string }): QuickReply | undefined {
    if (typeof spec !== "string") return { label: this.texts.pick(spec.label), payload: spec.payload };
    if (spec === "menu") return { label: this.texts.msg("menu_button"), payload: "menu" };
    const def = this.intentDef(spec);
    return def ? { label: this.texts.pick(def.title), payload: `intent:${spec}` } : undefined;
  }

  /** `about.requestId`: the request whose id fills `{request_id}` in the text (see `NEW_REQUEST`). */
  say(text: string, extras: Omit<OutboundMessage, "text"> = {}, about: { requestId?: string } = {}): void {
    const message: OutboundMessage = { text, ...extras };
    if (message.quickReplies?.length) this.session.choices = message.quickReplies;
    this.actions.push(
      about.requestId ? { type: "reply", message, requestId: about.requestId } : { type: "reply", message },
    );
    remember(this.session, { from: "bot", text, at: this.now });
  }

  /** Whether this turn filed a request. */
  created(): boolean {
    return this.actions.some((a) => a.type === "request.create");
  }

  /** The text of the last reply this turn, if any. */
  lastSaid(): string | undefined {
    for (let i = this.actions.length - 1; i >= 0; i--) {
      const a = this.actions[i];
      if (a?.type === "reply") return a.message.text;
    }
    return undefined;
  }

  menu(lead?: string): void {
    const greeting = this.intentDef("greeting");
    const qrs = (greeting?.quick_replies ?? []).map((q) => this.quickReply(q)).filter((q): q is QuickReply => !!q);
    this.say([lead, this.texts.msg("menu")].filter(Boolean).join("\n\n"), { quickReplies: qrs });
  }

  /** Minutes users on this channel usually wait for a person. */
  responseMinutes(): number {
    // config/channels.yaml says which official channel answers users of this conversation channel.
    return this.ctx.content.config.channels.find((c) => c.serves?.includes(this.channel))?.response_minutes ?? 60;
  }

  waitedPastResponseTime(): boolean {
    const open = this.session.requests.filter((r) => r.status !== "resolved");
    if (open.length === 0) return false;
    const oldest = Math.min(...open.map((r) => r.createdAt));
    return this.now - oldest > this.responseMinutes() * 60_000;
  }
}

/**
 * What the escalation rules look at in this turn: the conversation's counters and whether
 * its oldest open request waited too long, plus what the caller knows (the intent decided
 * on, the user's words). One builder, so every rule kind sees the same facts wherever the
 * rules are asked.
 */
export function signals(t: Turn, overrides: Partial<Signals> = {}): Signals {
  return {
    fallbackStreak: t.session.fallbackStreak,
    formFailures: t.session.formFailures,
    waitedPastResponseTime: t.waitedPastResponseTime(),
    ...overrides,
  };
}
