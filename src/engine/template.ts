import type { Localized, MessageKey, OfficialChannel } from "../content/schema.js";
import type { Content } from "../content/types.js";
import type { Lang } from "../ports/vocabulary.js";
import { formatOpening, formatWeekly, isOpen, nextOpening, type Schedule } from "./hours.js";

/**
 * Fills `{placeholders}` in flow text from configuration, so a number, address or opening
 * hour is written once in `config/` and every answer follows it.
 */
export class Texts {
  private cache = new Map<string, string>();

  constructor(
    private readonly content: Content,
    readonly lang: Lang,
    private readonly now: Date,
  ) {}

  get schedule(): Schedule {
    const c = this.content.config;
    return { weekly: c.support_hours, timeZone: c.timezone, holidays: c.holidays };
  }

  /** A message from `flows/messages.yaml`, filled in. */
  msg(key: MessageKey, extra: Record<string, string | number> = {}): string {
    return this.fill(this.content.flows.messages[key][this.lang], extra);
  }

  pick(text: Localized): string {
    return text[this.lang];
  }

  fill(text: string, extra: Record<string, string | number> = {}): string {
    return text
      .replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
        if (name in extra) return String(extra[name]);
        const v = this.variable(name);
        return v ?? whole;
      })
      .replace(/\n{3,}/g, "\n\n")
      .trim();
  }

  private variable(name: string): string | undefined {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const v = this.compute(name);
    if (v !== undefined) this.cache.set(name, v);
    return v;
  }

  private channel(kind: OfficialChannel["kind"]): OfficialChannel | undefined {
    return this.content.config.channels.find((c) => c.kind === kind);
  }

  private line(c: OfficialChannel): string {
    const contact = c.numbers?.join(", ") ?? c.email ?? c.url ?? c.handles?.[0] ?? "";
    return this.msg("channel_line", { name: this.pick(c.name), contact, purpose: this.pick(c.purpose) });
  }

  /**
   * A moment as "24/11 10:00" in the deployment's time zone: one format in both languages
   * (day/month and a 24-hour clock read the same in Vietnamese and British English).
   */
  dateTime(at: number): string {
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: this.content.config.timezone,
      day: "2-digit",
      month: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(new Date(at));
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
    return `${part("day")}/${part("month")} ${part("hour")}:${part("minute")}`;
  }

  duration(minutes: number): string {
    if (minutes <= 0) return this.msg("duration_now");
    if (minutes < 120) return this.msg("duration_minutes", { n: minutes });
    if (minutes < 48 * 60) return this.msg("duration_hours", { n: Math.round(minutes / 60) });
    return this.msg("duration_days", { n: Math.round(minutes / 1440) });
  }

  nextOpen(): string {
    const at = nextOpening(this.now, this.schedule);
    if (!at) return "";
    return formatOpening(at, this.content.config.timezone, this.weekdays(), this.lang);
  }

  private weekdays(): string[] {
    return this.msg("weekday_names")
      .split(",")
      .map((s) => s.trim());
  }

  private compute(name: string): string | undefined {
    const cfg = this.content.config;
    switch (name) {
      case "brand":
        return cfg.brand.name;
      case "website":
        return cfg.brand.website ?? this.channel("livechat")?.url ?? "";
      case "channels":
        return cfg.channels.map((c) => this.line(c)).join("\n");
      case "social":
        return cfg.channels
          .filter((c) => ["fanpage", "telegram", "zalo"].includes(c.kind))
          .map((c) => this.line(c))
          .join("\n");
      case "hotline":
        return this.channel("hotline")?.numbers?.join(", ") ?? "";
      case "hotlines":
        return (this.channel("hotline")?.numbers ?? []).map((n) => this.msg("hotline_line", { number: n })).join("\n");
      case "email":
        return this.channel("email")?.email ?? "";
      case "livechat_url":
        return this.channel("livechat")?.url ?? "";
      case "fanpage_url":
        return this.channel("fanpage")?.url ?? "";
      case "telegram_url":
        return this.channel("telegram")?.url ?? "";
      case "zalo_url":
        return this.channel("zalo")?.url ?? "";
      case "hours":
        return formatWeekly(cfg.support_hours, this.weekdays(), this.msg("closed_day")).join("\n");
      case "channel_hours":
        return cfg.channels
          .filter((c) => c.hours)
          .map((c) => {
            const h =
              c.hours === "24/7"
                ? "24/7"
                : formatWeekly(c.hours ?? cfg.support_hours, this.weekdays(), this.msg("closed_day")).join("; ");
            return `• ${this.pick(c.name)}: ${h}`;
          })
          .join("\n");
      case "response_times":
        return cfg.channels
          .filter((c) => c.response_minutes !== undefined)
          .map((c) => `• ${this.pick(c.name)}: ${this.duration(c.response_minutes ?? 0)}`)
          .join("\n");
      case "open_status":
        return isOpen(this.now, this.schedule)
          ? this.msg("open_now")
          : this.msg("closed_now", { next_open: this.nextOpen() });
      case "next_open":
        return this.nextOpen();
      case "notice":
        return cfg.notice ? this.pick(cfg.notice.text) : "";
      case "policy_url":
        return cfg.privacy.policy_url;
      case "incident_status":
        return cfg.notice?.active
          ? this.msg("incident_active", { notice: this.pick(cfg.notice.text) })
          : this.msg("incident_none");
      default:
        return undefined;
    }
  }
}
