import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { Localized } from "../../src/content/schema.js";
import type { Content } from "../../src/content/types.js";
import { Texts } from "../../src/engine/template.js";
import type { Lang } from "../../src/ports/vocabulary.js";
import { canon, fold } from "../../src/text/normalize.js";
import type { Matched } from "../module.js";
import { METADATA_TAG } from "./capabilities.js";
import type { GraphClient } from "./client.js";
import type { PageComment } from "./inbound.js";
import { classifyError } from "./outbound.js";

/**
 * Comments under the Page's posts (the `feed` webhook field). Vietnamese users ask for help
 * there ("ad ơi inbox em"): a comment that asks for support gets one private reply
 * (`POST /me/messages` with `recipient: {comment_id}`, Meta's Private Replies: one message per
 * comment, within 7 days), which opens a Messenger conversation the bot then carries on;
 * optionally a short public reply under the comment (`POST /<comment_id>/comments`). A
 * comment is answered at most once (a record per comment id in the shared store, written
 * before the reply); everything else (the Page's own comments, small talk, praise) is ignored.
 *
 * "Asks for support": the matcher places it on an intent users are offered (`suggest` not
 * false: not a greeting, thanks or goodbye), or it holds one of the words of the
 * `comment_support_words` message (flows/platforms.yaml: "inbox", "ib", "hỗ trợ"…), matched
 * without diacritics as whole words.
 */
export interface CommentsOptions {
  client: GraphClient;
  kv: Keyv;
  log: Logger;
  content(): Content;
  match?: ((text: string) => Matched) | undefined;
  /** MESSENGER_COMMENTS=public: a short public reply under the comment too. */
  publicReply: boolean;
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
  now(): number;
}

/** Meta accepts a private reply within 7 days of the comment; the record outlives that. */
const ANSWERED_TTL_MS = 30 * 24 * 3_600_000;

const DEFAULT_PRIVATE: Localized = {
  vi: "Chào bạn, mình là trợ lý hỗ trợ của {brand}. Bạn cần giúp gì, cứ nhắn ở đây nhé: mình trả lời ngay.",
  en: "Hi, I'm {brand}'s support assistant. Tell me here what you need help with and I'll answer right away.",
};

type Messages = Partial<Record<string, Localized>>;

export class Comments {
  constructor(private readonly o: CommentsOptions) {}

  private messages(): Messages {
    return this.o.content().flows.messages as Messages;
  }

  /** The language to answer in: the comment's, else Vietnamese. */
  private langOf(m: Matched | undefined): Lang {
    return m?.lang === "en" ? "en" : "vi";
  }

  /** Whether a comment asks for support (see the class comment), and what the matcher made of it. */
  asksForSupport(text: string): { yes: boolean; matched?: Matched } {
    const matched = this.o.match?.(text);
    const intent = matched ? this.o.content().flows.intents[matched.intent] : undefined;
    if (matched?.zone === "answer" && matched.intent !== "none" && intent && intent.suggest !== false) {
      return { yes: true, matched };
    }
    const words = this.supportWords();
    const said = ` ${fold(canon(text))
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim()} `;
    const yes = words.some((w) => said.includes(` ${w} `));
    return matched ? { yes, matched } : { yes };
  }

  private supportWords(): string[] {
    const m = this.messages().comment_support_words;
    if (!m) return [];
    return [...m.vi.split(","), ...m.en.split(",")]
      .map((w) =>
        fold(canon(w))
          .replace(/[^\p{L}\p{N}]+/gu, " ")
          .trim(),
      )
      .filter(Boolean);
  }

  /** Handle one comment: at most one private reply, ever. Never throws. */
  async handle(c: PageComment): Promise<"answered" | "ignored" | "already" | "failed"> {
    if (c.fromId && c.pageId && c.fromId === c.pageId) return "ignored"; // the Page's own comment
    const { yes, matched } = this.asksForSupport(c.message);
    if (!yes) return "ignored";
    const key = `messenger:comment:${c.commentId}`;
    try {
      return await this.o.withLock(key, 20_000, async () => {
        if (await this.o.kv.get(key)) return "already";
        // Recorded before the reply: Meta allows one private reply per comment, never two.
        await this.o.kv.set(key, { at: this.o.now() }, ANSWERED_TTL_MS);
        const lang = this.langOf(matched);
        const texts = new Texts(this.o.content(), lang, new Date(this.o.now()));
        // The whole name: Vietnamese names end with the given name, English ones start with it.
        const name = c.fromName?.trim() || (lang === "vi" ? "bạn" : "there");
        const text = texts.fill(texts.pick(this.messages().comment_private_reply ?? DEFAULT_PRIVATE), { name });
        const r = await this.o.client.post(
          "/me/messages",
          {
            recipient: { comment_id: c.commentId },
            messaging_type: "RESPONSE",
            message: { text, metadata: `${METADATA_TAG}:comment` },
          },
          { timeoutMs: 10_000 },
        );
        if (!r.ok) {
          const out = classifyError(r).outcome;
          // A refusal that would repeat stays recorded; a passing failure may be tried again on redelivery.
          if (!out.ok && !out.permanent) await this.o.kv.delete(key).catch(() => undefined);
          this.o.log.warn(
            { comment: c.commentId, code: r.error?.code, subcode: r.error?.error_subcode },
            "Page comment: private reply not sent",
          );
          return "failed";
        }
        this.o.log.info({ comment: c.commentId, intent: matched?.intent }, "Page comment answered privately");
        const publicText = this.messages().comment_public_reply;
        if (this.o.publicReply && publicText) {
          const p = await this.o.client.post(
            `/${encodeURIComponent(c.commentId)}/comments`,
            { message: texts.fill(texts.pick(publicText), { name }) },
            { timeoutMs: 10_000 },
          );
          if (!p.ok)
            this.o.log.warn({ comment: c.commentId, code: p.error?.code }, "Page comment: public reply not posted");
        }
        return "answered";
      });
    } catch (err) {
      this.o.log.warn({ comment: c.commentId, err: (err as Error).message }, "Page comment not handled");
      return "failed";
    }
  }
}
