import type { Api } from "grammy";
import type { InlineKeyboardButton, Message } from "grammy/types";
import type { Keyv } from "keyv";
import type { Logger } from "pino";
import type { Content } from "../../src/content/types.js";
import { Texts } from "../../src/engine/template.js";
import { chooseRule, factsOf } from "../../src/media/fit.js";
import { mediaIdFor } from "../../src/media/media.js";
import type { ControlEvent } from "../../src/ports/control.js";
import { MediaError, type MediaPort, type MediaSource, stored } from "../../src/ports/media.js";
import type { Attachment, ChannelId } from "../../src/ports/message.js";
import type { OperatorsPort, RoutedControl } from "../../src/ports/operators.js";
import type { OpsJob, SendOutcome } from "../../src/ports/queue.js";
import type { RequestRecord, RequestStore, TranscriptEntry } from "../../src/ports/requests.js";
import { describeFile } from "../../src/runtime/media-out.js";
import { getNotice, type Notice } from "../../src/runtime/notices.js";
import { asArray, asRecord, readFlag, readId, readNumber, readString } from "../shared/read.js";
import { TELEGRAM_CAPABILITIES } from "./capabilities.js";
import { attachmentsOf, displayName } from "./inbound.js";
import { sendPlace, sendStored } from "./media.js";
import { classifyError } from "./outbound.js";
import { Pacer } from "./pacing.js";

/** How channels are named to operators (platform names, the same in every language). */

const PRIORITY_ICON: Record<string, string> = { low: "⚪", normal: "🔵", high: "🟠", urgent: "🔴" };
const TOPIC_COLOR: Record<string, number> = { low: 0x6fb9f0, normal: 0x6fb9f0, high: 0xffd67e, urgent: 0xfb6f5f };

/** One job's run: group slots it took in advance (a job that gives way takes them all at once). */
interface Turn {
  prepaid: number;
}

/** What a notice in the group shows (stored per notice, so an edit or a restart continues it). */
interface NoticePost {
  messageId: number;
  /** How many request ids it lists. */
  shown: number;
  at: number;
}

const paced = (ms: number): SendOutcome => ({
  ok: false,
  permanent: false,
  error: "paced",
  retryAfterMs: Math.max(1, ms),
  paced: true,
});

export interface TelegramOperatorsOptions {
  api: Api;
  chatId: string;
  botId: () => number | undefined;
  requests: RequestStore;
  kv: Keyv;
  content: Content;
  log: Logger;
  now?: () => Date;
  /** Group pacing (Telegram allows about 20 messages a minute in a group). */
  pacing?: { burst: number; intervalMs: number };
  /**
   * Slots of the group's pacing that jobs which give way (`OpsJob.yields`: the live chat) leave
   * free for the others: with the default 2, a request from another channel gets its topic and
   * card at once however busy a live-chat flood keeps the group.
   */
  reserve?: number;
  /** A flood notice waits this long after its first request (then after each edit) to gather more (5 s). */
  noticeSettleMs?: number;
  /** The user's name from their platform, asked once a request reaches operators. */
  nameOf?: (channel: ChannelId, userId: string) => Promise<string | undefined>;
  /** A channel's name as operators read it (the adapters' `name`). */
  channelName?: (channel: ChannelId) => string;
  /** The media store: users' files are uploaded to the group from it, operators' files kept in it. */
  media?: MediaPort;
  /** Where a file posted in the group is fetched from (the channel's getFile). */
  source?: (a: Attachment) => Promise<MediaSource | undefined>;
}

/**
 * The operators' side in a Telegram supergroup (SPEC "Operators"): each request gets a
 * forum topic (or, without topics, a thread of replies to its first message); what users
 * say is mirrored there; what operators write there goes back to the user's own channel.
 * Every message the bot posts for a request is mapped to it in the shared store, so a
 * reply to any of them, also after a restart, finds its request.
 */
export class TelegramOperators implements OperatorsPort {
  private forum: boolean | undefined;
  private readonly pacer: Pacer;
  /** Jobs that do not give way and were told to wait: key → when they should be through. */
  private readonly waiting = new Map<string, number>();

  constructor(private readonly options: TelegramOperatorsOptions) {
    const p = options.pacing ?? { burst: 5, intervalMs: 3000 };
    this.pacer = new Pacer(p.burst, p.intervalMs);
  }

  /** A group slot for one message: one taken in advance, or wait for the pacing. */
  private async slot(turn: Turn): Promise<void> {
    if (turn.prepaid > 0) {
      turn.prepaid--;
      return;
    }
    await this.pacer.take(this.options.chatId);
  }

  /**
   * For a job that gives way: 0 once its `cost` slots are taken, else how long to wait. It waits
   * while any other job waits for the group, and takes slots only beyond the reserve (never on
   * credit), so it can never be queued in front of another channel's request.
   */
  private giveWay(cost: number): number {
    const now = Date.now();
    let until = 0;
    for (const [k, t] of this.waiting) {
      if (t <= now) this.waiting.delete(k);
      else until = Math.max(until, t);
    }
    if (until > now) return until - now + Math.round(Math.random() * 200);
    return this.pacer.tryTake(this.options.chatId, cost, this.options.reserve ?? 2);
  }

  /** Group messages a job will send: its request's topic and card if not posted yet, then its own. */
  private async cost(job: OpsJob, r: RequestRecord): Promise<number> {
    let n = 0;
    if (job.op === "post" || !r.ops?.rootMessageId) n += !r.ops?.threadId && (await this.isForum()) ? 2 : 1;
    if (job.op === "mirror" || job.op === "relay") n += (job.text ? 1 : 0) + (job.attachments ?? []).length;
    else if (job.op !== "post") n += 1;
    return Math.max(1, n);
  }

  private texts(): Texts {
    return new Texts(
      this.options.content,
      this.options.content.config.operators.language,
      this.options.now?.() ?? new Date(),
    );
  }

  /**
   * Erasure: a request's forum topic is deleted with every message in it (the Bot API's
   * `deleteForumTopic`, for an admin with the right to delete messages); without topics, the
   * request's first message (its card with the user's name and fields) is deleted. Replies
   * the bot mirrored outside a topic are not tracked one by one, and messages operators wrote
   * themselves are theirs: the README says so.
   */
  async forget(requests: RequestRecord[]): Promise<number> {
    let n = 0;
    for (const r of requests) {
      if (!r.ops || r.ops.chatId !== this.options.chatId) continue;
      try {
        if (r.ops.threadId) {
          await this.options.api.deleteForumTopic(this.options.chatId, r.ops.threadId);
          await this.options.kv.delete(this.threadKey(r.ops.threadId));
          n++;
        } else if (r.ops.rootMessageId) {
          await this.options.api.deleteMessage(this.options.chatId, r.ops.rootMessageId);
          n++;
        }
      } catch (err) {
        this.options.log.warn(
          { request: r.id, err: err instanceof Error ? err.message : String(err) },
          "erasure: the operators' group refused to delete a request's messages",
        );
      }
    }
    return n;
  }

  private threadKey(threadId: number): string {
    return `ops:thread:${this.options.chatId}:${threadId}`;
  }

  private messageKey(messageId: number): string {
    return `ops:msg:${this.options.chatId}:${messageId}`;
  }

  /** Whether the group has topics turned on (asked once, then remembered). */
  private async isForum(): Promise<boolean> {
    if (this.forum === undefined) {
      const chat = await this.options.api.getChat(this.options.chatId);
      this.forum = "is_forum" in chat && chat.is_forum === true;
    }
    return this.forum;
  }

  private topicName(r: RequestRecord): string {
    const name = r.displayName ?? r.userId;
    return `${r.id} · ${this.channelName(r.channel)} · ${name} · ${r.priority}`.slice(0, 128);
  }

  private buttons(r: RequestRecord): { inline_keyboard: InlineKeyboardButton[][] } {
    const t = this.texts();
    return {
      inline_keyboard: [
        [
          { text: t.msg("ops_button_take"), callback_data: `ops:take:${r.id}` },
          { text: t.msg("ops_button_close"), callback_data: `ops:close:${r.id}` },
          { text: t.msg("ops_button_bot"), callback_data: `ops:bot:${r.id}` },
        ],
      ],
    };
  }

  /** "The Page Inbox has this conversation", in the operators' language (flows/platforms.yaml). */
  private inboxText(inbox: string): string {
    const lang = this.options.content.config.operators.language;
    const said = (this.options.content.flows.messages as Partial<Record<string, { vi: string; en: string }>>)
      .ops_platform_inbox?.[lang];
    return said ? said.replaceAll("{inbox}", inbox) : `${inbox} has this conversation: a reply here takes it back`;
  }

  private channelName(id: ChannelId): string {
    return this.options.channelName?.(id) ?? id;
  }

  private card(r: RequestRecord, transcript: TranscriptEntry[]): string {
    const t = this.texts();
    const lines = [
      `${PRIORITY_ICON[r.priority] ?? ""} ${t.msg("ops_card", {
        request_id: r.id,
        priority: t.msg(`priority_${r.priority}`),
        channel_name: this.channelName(r.channel),
        name: `${r.displayName ?? "?"} (${r.channel}:${r.userId})`,
        title: r.title,
      })}`,
    ];
    const fields = Object.entries(r.fields);
    if (fields.length) lines.push("", t.msg("ops_fields"), ...fields.map(([k, v]) => `• ${k}: ${v}`));
    // What was said (and notes), not the request's events or delivery failures.
    const recent = transcript.filter((l) => !l.kind || l.kind === "note").slice(-10);
    if (recent.length) {
      lines.push("", t.msg("ops_transcript"));
      for (const l of recent)
        lines.push(
          `${l.from === "user" ? "👤" : l.from === "operator" ? "🧑‍💼" : "🤖"} ${l.kind === "note" ? "[note] " : ""}${l.text.slice(0, 300)}`,
        );
    }
    return lines.join("\n").slice(0, 4000);
  }

  /** The request's topic, or a reply to its first message. */
  private where(r: RequestRecord): Record<string, unknown> {
    return r.ops?.threadId
      ? { message_thread_id: r.ops.threadId }
      : r.ops?.rootMessageId
        ? { reply_parameters: { message_id: r.ops.rootMessageId, allow_sending_without_reply: true } }
        : {};
  }

  /** Send into the request's topic (or as a reply to its first message) and map the new message to it. */
  private async say(r: RequestRecord, text: string, turn: Turn, extra: { buttons?: boolean } = {}): Promise<Message> {
    await this.slot(turn);
    const where = this.where(r);
    const msg = await this.options.api.sendMessage(this.options.chatId, text, {
      ...where,
      ...(extra.buttons ? { reply_markup: this.buttons(r) } : {}),
    });
    await this.options.kv.set(this.messageKey(msg.message_id), r.id);
    return msg;
  }

  async run(job: OpsJob): Promise<SendOutcome> {
    const waitKey = `${job.requestId}:${job.op}`;
    if (!job.yields) {
      // The group is busy (20 messages a minute): come back later instead of holding a worker.
      const wait = this.pacer.delay(this.options.chatId);
      if (wait > 1000) {
        this.waiting.set(waitKey, Date.now() + wait + 2000);
        return paced(wait);
      }
      this.waiting.delete(waitKey);
    }
    if (job.op === "lead" && !job.requestId) {
      // A notice about no one request (the weekly digest): in the group itself.
      try {
        await this.options.api.sendMessage(this.options.chatId, `📊 ${job.text ?? ""}`);
        return { ok: true };
      } catch (err) {
        return classifyError(err);
      }
    }
    const r = await this.options.requests.get(job.requestId);
    if (!r) return { ok: false, permanent: true, error: `request ${job.requestId} not found` };
    if (job.op === "notice") return this.notice(job);
    // Listed in a flood notice and not opened by an operator: nothing to post (the transcript keeps it).
    if (r.notice && !r.ops?.rootMessageId) return { ok: true };
    const turn: Turn = { prepaid: 0 };
    if (job.yields) {
      const cost = await this.cost(job, r);
      const wait = this.giveWay(cost);
      if (wait > 0) return paced(wait);
      turn.prepaid = cost;
    }
    try {
      if (job.op === "post" || !r.ops?.rootMessageId) {
        await this.post(r, turn);
        if (job.op === "post") return { ok: true };
      }
      const rec = (await this.options.requests.get(job.requestId)) ?? r;
      const t = this.texts();
      switch (job.op) {
        case "mirror":
          await this.mirror(rec, job, turn);
          break;
        case "note":
          // A private note written in the console: for colleagues in the topic, never the user.
          await this.say(rec, t.msg("ops_console_note", { operator: job.operator ?? "?", text: job.text ?? "" }), turn);
          break;
        case "update":
          if (rec.ops?.threadId) {
            await this.options.api
              .editForumTopic(this.options.chatId, rec.ops.threadId, { name: this.topicName(rec) })
              .catch(() => undefined);
          }
          await this.say(
            rec,
            t.msg("ops_priority_changed", { request_id: rec.id, priority: t.msg(`priority_${rec.priority}`) }),
            turn,
          );
          break;
        case "relay":
          if (job.text)
            await this.say(
              rec,
              t.msg("ops_console_reply", { operator: job.operator ?? "?", text: job.text ?? "" }),
              turn,
            );
          await this.postFiles(rec, job.attachments ?? [], turn);
          break;
        case "failure":
          await this.say(rec, `⚠️ ${t.msg("ops_delivery_failed", { error: job.text ?? "?" })}`, turn);
          break;
        case "inbox":
          await this.say(rec, `ℹ️ ${this.inboxText(job.text ?? "?")}`, turn);
          break;
        case "lead":
          await this.say(rec, `🔔 ${job.text ?? ""}`, turn);
          break;
        case "taken":
          await this.say(
            rec,
            t.msg("ops_taken", { request_id: rec.id, operator: job.operator ?? rec.assignee ?? "?" }),
            turn,
          );
          break;
        case "back_to_bot":
          await this.say(rec, t.msg("ops_back_to_bot", { request_id: rec.id, operator: job.operator ?? "?" }), turn);
          break;
        case "reopened":
          if (rec.ops?.threadId)
            await this.options.api.reopenForumTopic(this.options.chatId, rec.ops.threadId).catch(() => undefined);
          await this.say(rec, t.msg("ops_reopened_by", { request_id: rec.id, operator: job.operator ?? "?" }), turn);
          break;
        case "closed":
          await this.say(rec, `✅ ${t.msg("ops_closed", { request_id: rec.id, operator: job.operator ?? "?" })}`, turn);
          if (rec.ops?.threadId)
            await this.options.api.closeForumTopic(this.options.chatId, rec.ops.threadId).catch(() => undefined);
          break;
      }
      return { ok: true };
    } catch (err) {
      const outcome = classifyError(err);
      // A topic deleted or closed by hand: open a new one and try again.
      if (/message thread not found|TOPIC_CLOSED|TOPIC_DELETED/i.test(outcome.error) && r.ops?.threadId) {
        if (/TOPIC_CLOSED/i.test(outcome.error)) {
          await this.options.api.reopenForumTopic(this.options.chatId, r.ops.threadId).catch(() => undefined);
        } else {
          await this.options.requests.update(r.id, { ops: { chatId: this.options.chatId } }, Date.now());
        }
        return { ok: false, permanent: false, error: outcome.error, retryAfterMs: 100 };
      }
      this.options.log.warn({ request: r.id, op: job.op, error: outcome.error }, "operators' group: action failed");
      return outcome;
    }
  }

  /**
   * A notice standing for a burst of requests (a live-chat flood): one message listing their
   * ids, posted once the burst has had `noticeSettleMs` to gather and edited as more come, so
   * the group gets one message however many requests the flood made. It gives way like the
   * requests it stands for.
   */
  private async notice(job: OpsJob): Promise<SendOutcome> {
    const n = job.notice ? await getNotice(this.options.kv, job.notice) : undefined;
    if (!n) return { ok: true };
    const key = `ops:notice-post:${this.options.chatId}:${n.id}`;
    const post = (await this.options.kv.get(key)) as NoticePost | undefined;
    if (post && post.shown >= n.requestIds.length) return { ok: true };
    const notBefore = (post?.at ?? n.since) + (this.options.noticeSettleMs ?? 5_000);
    if (Date.now() < notBefore) return paced(notBefore - Date.now());
    const wait = this.giveWay(1);
    if (wait > 0) return paced(wait);
    const text = this.noticeText(n);
    try {
      let messageId = post?.messageId;
      if (messageId !== undefined) {
        try {
          await this.options.api.editMessageText(this.options.chatId, messageId, text);
        } catch (err) {
          const e = classifyError(err).error;
          if (/message to edit not found|can't be edited/i.test(e)) messageId = undefined;
          else if (!/not modified/i.test(e)) throw err;
        }
      }
      if (messageId === undefined)
        messageId = (await this.options.api.sendMessage(this.options.chatId, text)).message_id;
      const next: NoticePost = { messageId, shown: n.requestIds.length, at: Date.now() };
      await this.options.kv.set(key, next, 7 * 24 * 3600_000);
      return { ok: true };
    } catch (err) {
      const outcome = classifyError(err);
      this.options.log.warn({ notice: n.id, error: outcome.error }, "operators' group: flood notice not posted");
      return outcome;
    }
  }

  private noticeText(n: Notice): string {
    const ids = n.requestIds;
    const listed = ids.slice(0, 250);
    const more = ids.length - listed.length;
    return `⚠️ ${this.texts().msg("ops_flood_notice", {
      count: ids.length,
      channel_name: this.channelName(n.channel),
      request_ids: `${listed.join(", ")}${more > 0 ? ` (+${more})` : ""}`,
      first_id: ids[0] ?? "",
    })}`.slice(0, 4000);
  }

  /** `/open HT-000123`: a request listed in a flood notice gets its topic and card now. */
  private async open(id: string, m: GroupMessage): Promise<void> {
    const t = this.texts();
    const r = await this.options.requests.get(id);
    try {
      if (!r) await this.answer(m, t.msg("ops_no_request", { request_id: id }));
      // Posted already, or on its way (not held in a notice): nothing to open.
      else if (r.ops?.rootMessageId || !r.notice) await this.answer(m, t.msg("ops_open_exists", { request_id: id }));
      else await this.post(r, { prepaid: 0 });
    } catch (err) {
      this.options.log.warn({ request: id, error: classifyError(err).error }, "operators' group: /open failed");
    }
  }

  /** First appearance of a request: its topic (forum) and its card with the buttons. */
  private async post(rec: RequestRecord, turn: Turn): Promise<void> {
    if (rec.ops?.rootMessageId) return;
    let r = rec;
    if (!r.displayName && this.options.nameOf) {
      // Looked up now, not for every message: only a person needs the name.
      const name = await this.options.nameOf(r.channel, r.userId).catch(() => undefined);
      if (name) r = (await this.options.requests.update(r.id, { displayName: name }, Date.now())) ?? r;
    }
    let threadId = r.ops?.threadId;
    if (!threadId && (await this.isForum())) {
      await this.slot(turn);
      const topic = await this.options.api.createForumTopic(this.options.chatId, this.topicName(r), {
        icon_color: TOPIC_COLOR[r.priority] as 0x6fb9f0,
      });
      threadId = topic.message_thread_id;
      // Remember the topic before anything else, so a retry does not open a second one.
      await this.options.requests.update(r.id, { ops: { chatId: this.options.chatId, threadId } }, Date.now());
      await this.options.kv.set(this.threadKey(threadId), r.id);
    }
    const withThread: RequestRecord = { ...r, ops: { chatId: this.options.chatId, ...(threadId ? { threadId } : {}) } };
    const transcript = await this.options.requests.transcript(r.id);
    const root = await this.say(withThread, this.card(r, transcript), turn, { buttons: true });
    await this.options.requests.update(
      r.id,
      { ops: { chatId: this.options.chatId, ...(threadId ? { threadId } : {}), rootMessageId: root.message_id } },
      Date.now(),
    );
  }

  private async mirror(r: RequestRecord, job: OpsJob, turn: Turn): Promise<void> {
    const t = this.texts();
    const name = r.displayName ?? r.userId;
    // "[image, audio]" is the transcript's stand-in for files: the files themselves follow.
    const placeholder = job.attachments?.length && /^\[[a-z, ]+\]$/.test(job.text ?? "");
    if (job.text && !placeholder) await this.say(r, t.msg("ops_user_says", { name, text: job.text }), turn);
    await this.postFiles(r, job.attachments ?? [], turn);
  }

  /**
   * Files into the request's topic, each by upload with the method for its type (a place by
   * sendLocation). One that cannot be posted (too large for Telegram, never fetched, refused)
   * is replaced by a line saying which and why, and the others still go; a file posted
   * already (the job retried after a network error) is not posted twice.
   */
  private async postFiles(r: RequestRecord, files: readonly Attachment[], turn: Turn): Promise<void> {
    const t = this.texts();
    for (const [i, a] of files.entries()) {
      if (a.type === "contact" || a.type === "link") continue;
      const done = `ops:file:${r.id}:${a.mediaId ?? `${a.type}:${a.latitude}:${a.longitude}:${a.fileId ?? a.url}`}`;
      if (await this.options.kv.get(done)) continue;
      try {
        let sent: Message;
        if (a.type === "location") {
          await this.slot(turn);
          sent = await sendPlace(this.options.api, this.options.chatId, a, this.where(r));
        } else {
          const file = a.mediaId ? await this.options.media?.read(a.mediaId) : undefined;
          if (!file) throw new MediaError(a.error ?? "hotro could not fetch the file", "missing");
          const facts = factsOf(stored(a, file.record));
          const chosen = facts ? chooseRule(TELEGRAM_CAPABILITIES.media, facts) : { why: "unknown file" };
          if ("why" in chosen) throw new MediaError(chosen.why, "unsupported");
          await this.slot(turn);
          sent = await sendStored(this.options.api, this.options.chatId, chosen.rule.as, a, file.bytes, this.where(r));
        }
        await this.options.kv.set(this.messageKey(sent.message_id), r.id);
        await this.options.kv.set(done, 1, 7 * 24 * 3600_000);
      } catch (err) {
        if (!(err instanceof MediaError)) {
          const outcome = classifyError(err);
          // The group is out of reach or busy: the whole job is tried again later.
          if (!outcome.permanent) throw err;
          this.options.log.warn(
            { request: r.id, type: a.type, error: outcome.error },
            "operators' group: file refused",
          );
        }
        const error = err instanceof MediaError ? err.message : classifyError(err).error;
        await this.say(r, t.msg("ops_media_failed", { n: i + 1, what: describeFile(a, t).what, error }), turn);
        await this.options.kv.set(done, 1, 7 * 24 * 3600_000);
      }
    }
  }

  /**
   * Files an operator posted in the group, kept in the media store before they go to the
   * user (whose platform cannot use a Telegram file id). One that cannot be fetched is
   * named to the operator where they posted it; the rest still go.
   */
  private async keepFiles(m: GroupMessage, key: string): Promise<Attachment[]> {
    const out: Attachment[] = [];
    const media = this.options.media;
    if (!media) return out;
    for (const [i, a] of m.files.entries()) {
      if (a.type === "contact" || a.type === "location") {
        out.push(a);
        continue;
      }
      try {
        const source = await this.options.source?.(a);
        if (!source) throw new MediaError("Telegram gave no way to fetch it", "fetch");
        const hint: Parameters<MediaPort["ingest"]>[2] = { type: a.type };
        if (a.name) hint.name = a.name;
        if (a.voice) hint.voice = true;
        out.push(stored(a, await media.ingest(mediaIdFor(`${key}:${i}`), source, hint)));
      } catch (err) {
        const error = err instanceof MediaError ? err.message : "could not keep the file";
        const t = this.texts();
        await this.answer(m, t.msg("ops_delivery_failed", { error: `${describeFile(a, t).what}: ${error}` })).catch(
          () => undefined,
        );
      }
    }
    return out;
  }

  /** The request an operator's message is about: its topic, or the bot message it replies to. */
  private async requestOf(m: GroupMessage): Promise<string | undefined> {
    if (m.isTopicMessage && m.threadId) {
      const id = (await this.options.kv.get(this.threadKey(m.threadId))) as string | undefined;
      if (id) return id;
    }
    const reply = m.replyTo;
    // In a forum every message "replies" to the topic's creation message: that is not a reply.
    if (reply && !reply.topicCreated && reply.messageId !== m.threadId) {
      return (await this.options.kv.get(this.messageKey(reply.messageId))) as string | undefined;
    }
    return undefined;
  }

  /**
   * An update from the group, read field by field: whatever its shape, it maps to control
   * events or to nothing, and never throws for the shape (it runs in the inbox's ops lane,
   * where a throw would hold up every operator action behind it).
   */
  async handleUpdate(raw: unknown, key: string): Promise<RoutedControl[]> {
    const update = asRecord(raw);
    if (!update) return [];
    const t = this.texts();
    const cq = asRecord(update.callback_query);
    const data = readString(cq?.data);
    if (cq && data?.startsWith("ops:")) {
      const [, action, id = ""] = data.split(":");
      const r = id ? await this.options.requests.get(id) : undefined;
      const queryId = readId(cq.id);
      if (queryId) {
        void this.options.api
          .answerCallbackQuery(queryId, r ? {} : { text: t.msg("ops_no_request", { request_id: id }) })
          .catch(() => undefined);
      }
      if (!r) return [];
      const operator = displayName(cq.from) ?? "operator";
      const event: ControlEvent =
        action === "take"
          ? { kind: "request_taken", requestId: r.id, operator }
          : action === "close"
            ? { kind: "request_closed", requestId: r.id, operator }
            : { kind: "back_to_bot", requestId: r.id, operator };
      return [{ conv: r.conv, event, key: `${key}:control` }];
    }
    const m = groupMessage(update.message);
    if (!m || m.fromBot || m.fromId === String(this.options.botId() ?? "")) return [];
    // Service messages (topic created, members joined…) carry no words for anyone.
    const { text, photo } = m;
    if (!text && !photo && m.files.length === 0) return [];
    const open = text?.match(/^\/open(?:@\w+)?\s+([A-Za-z]+-\d+)/);
    if (open?.[1]) {
      await this.open(open[1].toUpperCase(), m);
      return [];
    }
    const requestId = await this.requestOf(m);
    if (!requestId) {
      await this.help(m);
      return [];
    }
    const r = await this.options.requests.get(requestId);
    if (!r) return [];
    const operator = m.fromName ?? "operator";
    if (text?.startsWith("//")) {
      // An internal note: kept with the request, never sent to the user.
      await this.options.requests.append(r.id, key, {
        from: "operator",
        text: text.slice(2).trim(),
        at: Date.now(),
        kind: "note",
        by: operator,
      });
      return [];
    }
    if (text && /^\/close(@\w+)?(\s|$)/.test(text)) {
      return [{ conv: r.conv, event: { kind: "request_closed", requestId: r.id, operator }, key: `${key}:control` }];
    }
    const event: ControlEvent = { kind: "operator_message", requestId: r.id, operator };
    if (text) event.text = text;
    if (this.options.media) {
      const files = await this.keepFiles(m, key);
      if (files.length) event.attachments = files;
      if (!text && !files.length) return [];
    } else if (photo) event.image = { url: `tg-file:${photo}` };
    return [{ conv: r.conv, event, key: `${key}:control` }];
  }

  /** A short explanation, at most once per person every few minutes, where they wrote. */
  private async help(m: GroupMessage): Promise<void> {
    const every = this.options.content.config.operators.help_every_minutes * 60_000;
    const k = `ops:help:${this.options.chatId}:${m.fromId}`;
    if (every > 0 && (await this.options.kv.get(k))) return;
    await this.options.kv.set(k, 1, every || 1);
    await this.answer(m, this.texts().msg("ops_help")).catch((err) =>
      this.options.log.warn({ err: err instanceof Error ? err.message : err }, "operators' group: help not sent"),
    );
  }

  /** Answer an operator's message where they wrote it. */
  private async answer(m: GroupMessage, text: string): Promise<void> {
    await this.pacer.take(this.options.chatId);
    await this.options.api.sendMessage(this.options.chatId, text, {
      ...(m.isTopicMessage && m.threadId ? { message_thread_id: m.threadId } : {}),
      ...(m.messageId ? { reply_parameters: { message_id: m.messageId, allow_sending_without_reply: true } } : {}),
    });
  }
}

/** What the operators' code reads from a message in the group. */
interface GroupMessage {
  messageId?: number;
  threadId?: number;
  isTopicMessage: boolean;
  fromId: string;
  fromName?: string;
  fromBot: boolean;
  text?: string;
  /** The largest size's file id. */
  photo?: string;
  /** Every file of the message (photo, document, voice…), as a user's would be read. */
  files: Attachment[];
  replyTo?: { messageId: number; topicCreated: boolean };
}

/** A group message, read defensively; undefined when it is not one or has no sender. */
function groupMessage(v: unknown): GroupMessage | undefined {
  const m = asRecord(v);
  const from = asRecord(m?.from);
  const fromId = readId(from?.id);
  if (!m || !from || !fromId) return undefined;
  const out: GroupMessage = {
    isTopicMessage: readFlag(m.is_topic_message),
    fromId,
    fromBot: readFlag(from.is_bot),
    files: attachmentsOf(m),
  };
  const messageId = positiveInt(m.message_id);
  if (messageId) out.messageId = messageId;
  const threadId = positiveInt(m.message_thread_id);
  if (threadId) out.threadId = threadId;
  const name = displayName(from);
  if (name) out.fromName = name;
  const text = readString(m.text) || readString(m.caption);
  if (text) out.text = text;
  const photo = asArray(m.photo)
    .map((p) => readId(asRecord(p)?.file_id))
    .filter(Boolean)
    .at(-1);
  if (photo) out.photo = photo;
  const reply = asRecord(m.reply_to_message);
  const replyId = positiveInt(reply?.message_id);
  if (reply && replyId)
    out.replyTo = { messageId: replyId, topicCreated: asRecord(reply.forum_topic_created) !== undefined };
  return out;
}

function positiveInt(v: unknown): number | undefined {
  const n = readNumber(v);
  return n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
