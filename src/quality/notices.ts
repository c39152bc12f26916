import type { Content } from "../content/types.js";
import { Texts } from "../engine/template.js";
import type { Bus } from "../ports/backend.js";
import { DESK_TOPIC } from "../ports/desk.js";
import type { ChannelId } from "../ports/message.js";
import type { QualityStore } from "../ports/quality.js";
import type { Outbox } from "../ports/queue.js";

export type NoticeType = "csat_low" | "sla_warning" | "sla_breach" | "digest";

/** One notice to the desk's leads, as the console lists it. */
export interface LeadNotice {
  key: string;
  type: NoticeType;
  at: number;
  requestId?: string;
  text: string;
}

export interface LeadNoticesDeps {
  quality: QualityStore;
  bus: Bus;
  outbox: Outbox;
  content: () => Content;
  /** Whether an operators' Telegram group is configured (then it is told too). */
  group: () => boolean;
  channelName: (id: ChannelId) => string;
  now?: () => number;
}

/**
 * Notices for the leads: a low rating, a request near or past its promised time, the
 * weekly digest. Each is kept in the quality log under a key that says what it is about,
 * so it is sent once whichever process notices first and however often the sweep runs;
 * the consoles hear of it live, and the Telegram group (in the request's topic, or in the
 * group itself for the digest) when one is configured.
 */
export class LeadNotices {
  constructor(private readonly d: LeadNoticesDeps) {}

  private texts(): Texts {
    const c = this.d.content();
    return new Texts(c, c.config.operators.language, new Date(this.now()));
  }

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }

  async send(
    type: NoticeType,
    key: string,
    text: string,
    requestId?: string,
    channel: ChannelId = "cli",
  ): Promise<boolean> {
    const notice: LeadNotice = { key, type, at: this.now(), text, ...(requestId ? { requestId } : {}) };
    const fresh = await this.d.quality.record({
      key: `notice:${key}`,
      kind: "notice",
      at: notice.at,
      channel,
      ...(requestId ? { requestId } : {}),
      data: { ...notice },
    });
    if (!fresh) return false;
    await this.d.bus.publish(DESK_TOPIC, { type: "notice", notice }).catch(() => undefined);
    if (this.d.group()) {
      await this.d.outbox.enqueue([
        {
          key: `notice:${key}:ops`,
          lane: requestId ? `ops:${requestId}` : "ops:lead",
          body: { kind: "ops", requestId: requestId ?? "", op: "lead", text },
        },
      ]);
    }
    return true;
  }

  lowRating(requestId: string, score: number, channel: ChannelId, comment?: string): Promise<boolean> {
    const t = this.texts();
    const text = t.msg("lead_csat_low", {
      request_id: requestId,
      score,
      channel_name: this.d.channelName(channel),
      comment: comment ? ` “${comment}”` : "",
    });
    return this.send("csat_low", `csat:${requestId}:${comment ? "comment" : "score"}`, text, requestId, channel);
  }
}
