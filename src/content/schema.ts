import { z } from "zod";
import { LANGS, PRIORITIES } from "../ports/vocabulary.js";
import { PrivacyConfig } from "./privacy.js";

/**
 * One zod schema for everything a deployment edits: `flows/*.yaml` (content) and
 * `config/*.yaml` (deployment). Cross-references (an intent naming a form, a rule
 * naming an intent) are checked in `validate.ts`, where the YAML line is known.
 */

/** Text shown to users: always both languages, so a missing translation is a load error. */
export const Localized = z.object({ vi: z.string().min(1), en: z.string().min(1) }).strict();
export type Localized = z.infer<typeof Localized>;

const IntentId = z.string().regex(/^[a-z]+(\.[a-z_]+)*$/, "intent ids look like `account.locked`");

/** A quick reply: an intent id (label = that intent's title), `menu`, or an explicit label and payload. */
export const QuickReplySpec = z.union([
  z.string().min(1),
  z.object({ label: Localized, payload: z.string().min(1).max(200) }).strict(),
]);
export type QuickReplySpec = z.infer<typeof QuickReplySpec>;

export const ButtonSpec = z.union([
  z.object({ type: z.literal("url"), label: Localized, url: z.string().min(1) }).strict(),
  z.object({ type: z.literal("phone"), label: Localized, phone: z.string().min(1) }).strict(),
  z.object({ type: z.literal("postback"), label: Localized, payload: z.string().min(1) }).strict(),
]);
export type ButtonSpec = z.infer<typeof ButtonSpec>;

/** Behaviour an intent needs beyond a canned answer; the text each one says still comes from flows. */
export const IntentAction = z.enum([
  "verify_official", // check a number/handle/page/email against config
  "ticket_status", // show the user's own requests
  "handoff", // hand the conversation to a person now
  "end_conversation", // goodbye: leave any open form politely
  "complaint", // show open request, raise priority past the response time
  "data_request", // a person's request about their own data (privacy.access/correct/erase): filed with its legal deadline
  "consent_withdraw", // stop keeping the user's data: forget the conversation and ask again before keeping anything
]);

export const Intent = z
  .object({
    title: Localized,
    examples: z.object({ vi: z.array(z.string().min(1)).min(1), en: z.array(z.string().min(1)).min(1) }).strict(),
    reply: Localized.optional(),
    quick_replies: z.array(QuickReplySpec).max(13).optional(),
    buttons: z.array(ButtonSpec).max(6).optional(),
    form: z.string().optional(),
    action: IntentAction.optional(),
    /** Offered as a "did you mean" choice and in menus; `none` and small talk set this false. */
    suggest: z.boolean().default(true),
    /**
     * Groups of `lexicon.others` this intent's questions may name (`all`: any). A message
     * about anyone else's service is out of scope for it: "giờ mở cửa nhà thuốc" is not ours.
     */
    others: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type Intent = z.infer<typeof Intent>;

export const FieldType = z.enum(["text", "account", "time", "amount", "image", "phone", "email"]);
export type FieldType = z.infer<typeof FieldType>;

export const FormField = z
  .object({
    id: z.string().regex(/^[a-z_]+$/),
    type: FieldType,
    prompt: Localized,
    invalid: Localized.optional(),
    optional: z.boolean().default(false),
    min_length: z.number().int().min(1).optional(),
    /** Short label used when the request is shown to operators. */
    label: Localized,
  })
  .strict();
export type FormField = z.infer<typeof FormField>;

export const Form = z
  .object({
    intro: Localized.optional(),
    fields: z.array(FormField).min(1),
    /** Said once the request exists; `{request_id}` is filled in by the runtime. */
    done: Localized,
  })
  .strict();
export type Form = z.infer<typeof Form>;

export const Lexicon = z
  .object({
    /** token → expansions, added next to the token (never replacing it). */
    abbreviations: z.record(z.string(), z.array(z.string().min(1)).min(1)),
    /** Words that never decide an intent on their own (particles, fillers). */
    particles: z.array(z.string()).default([]),
    /**
     * Readings of an abbreviation that hold only next to certain words, replacing the usual
     * one: `tk` is "thằng" (a mate) in "tk ơi", not "tài khoản". `before`: words right after
     * the token; `after`: words right before it.
     */
    readings: z
      .record(
        z.string(),
        z.array(
          z
            .object({
              as: z.string().min(1),
              before: z.array(z.string().min(1)).default([]),
              after: z.array(z.string().min(1)).default([]),
            })
            .strict(),
        ),
      )
      .default({}),
    /**
     * Other organisations, services and people, by group. A message that asks about one of
     * them ("hotline của điện lực", "mật khẩu facebook") is out of scope for an intent that does
     * not accept the group (`others` on the intent); one named through a link word ("rút về
     * Vietcombank", "đăng nhập bằng Google") is not what the message asks about.
     */
    others: z.record(z.string(), z.array(z.string().min(1))).default({}),
    /** Places: a name the model does not know, but never whose service is asked about ("Hà Nội"). */
    places: z.array(z.string().min(1)).default([]),
    /** Link words: a name right after one plays a supporting part ("qua", "bằng", "về", "via"). */
    links: z.array(z.string().min(1)).default([]),
    /**
     * Next to these words (the product: "app", "ứng dụng", "web") a mention of these groups
     * is where it runs, not whose it is: "app cứ văng ra trên iPhone" is ours.
     */
    incidental: z
      .object({ words: z.array(z.string().min(1)).default([]), groups: z.array(z.string().min(1)).default([]) })
      .strict()
      .default({ words: [], groups: [] }),
    /** Words that mean this desk or its brand ("bên bạn", "your app"): the question is about us. */
    own: z.array(z.string().min(1)).default([]),
    /** Phrases aimed at the bot, not at support ("ignore previous instructions"): never an intent. */
    instructions: z.array(z.string().min(1)).default([]),
    /** Words that talk about words (songs, films, meanings): a greeting or goodbye inside is quoted, not said. */
    quoting: z.array(z.string().min(1)).default([]),
    /**
     * Named phrase lists the engine asks about a message: `new_problem` ("vấn đề khác"),
     * `insult` (not an answer to a form's question), `question` (a question, not an answer).
     */
    cues: z.record(z.string(), z.array(z.string().min(1))).default({}),
  })
  .strict();
export type Lexicon = z.infer<typeof Lexicon>;
export const EMPTY_LEXICON: Lexicon = Lexicon.parse({ abbreviations: {} });

/** Keys every deployment's messages must define; the engine refers to them by name. */
export const MESSAGE_KEYS = [
  "fallback",
  "fallback_again",
  "did_you_mean",
  "secret_warning",
  "form_cancelled",
  "form_skip_hint",
  "form_not_optional",
  "form_resumed",
  "form_invalid_generic",
  "request_attached",
  "request_added",
  "request_add_ask",
  "request_add_cancelled",
  "request_choose",
  "request_choice_add",
  "request_choice_new",
  "request_next_filed",
  "request_next_person",
  "fallback_handoff",
  "fallback_other_service",
  "fallback_instructions",
  "form_failed_handoff",
  "form_cancelled_person",
  "form_not_an_answer",
  "form_insult",
  "handoff_started",
  "handoff_out_of_hours",
  "handoff_no_operators",
  "handoff_nobody_online",
  "human_returned_to_bot",
  "ticket_status_none",
  "ticket_status_line",
  "ticket_status_not_yours",
  "verify_ask",
  "verify_official",
  "verify_not_official",
  "channel_line",
  "hotline_line",
  "open_now",
  "closed_now",
  "incident_active",
  "incident_none",
  "complaint_open_request",
  "complaint_no_request",
  "complaint_escalated",
  "flood_notice",
  "unsupported_attachment",
  "media_link",
  "media_kind_image",
  "media_kind_voice",
  "media_kind_audio",
  "media_kind_video",
  "media_kind_file",
  "media_kind_sticker",
  "message_too_long",
  "menu",
  "status_open",
  "status_in_progress",
  "status_resolved",
  "priority_low",
  "priority_normal",
  "priority_high",
  "priority_urgent",
  "request_closed",
  "weekday_names",
  "closed_day",
  "duration_now",
  "duration_minutes",
  "duration_hours",
  "duration_days",
  "menu_button",
  // Operators' side (the Telegram group), in config's `operators.language`.
  "ops_card",
  "ops_fields",
  "ops_transcript",
  "ops_button_take",
  "ops_button_close",
  "ops_button_bot",
  "ops_taken",
  "ops_closed",
  "ops_back_to_bot",
  "ops_help",
  "ops_delivery_failed",
  "ops_priority_changed",
  "ops_user_says",
  "ops_reopened",
  "ops_reopened_by",
  "ops_console_reply",
  "ops_console_note",
  "ops_no_request",
  "ops_note_saved",
  "ops_flood_notice",
  "ops_open_exists",
  "ops_media_failed",
  "ops_media_place",
  // The quality loop: the rating after a person closed a request, and the leads' notices.
  "csat_prompt",
  "csat_comment",
  "csat_thanks",
  "csat_skipped",
  "csat_skip_button",
  "complaint_waited",
  "lead_csat_low",
  "lead_sla_warning",
  "lead_sla_breach",
  "lead_digest",
  "privacy_notice",
  "privacy_consent_ask",
  "privacy_consent_thanks",
  "privacy_consent_needed",
  "privacy_agree_label",
  "privacy_withdrawn",
  "privacy_access_filed",
  "privacy_correct_filed",
  "privacy_erase_filed",
  "privacy_request_open",
] as const;
export type MessageKey = (typeof MESSAGE_KEYS)[number];

/** Words that work anywhere, inside a form too ("hủy", "bỏ qua", "menu"); matched folded and whole. */
export const Commands = z
  .object({
    cancel: z.array(z.string().min(1)).min(1),
    skip: z.array(z.string().min(1)).min(1),
    menu: z.array(z.string().min(1)).min(1),
    /** The slash-commands menu Telegram shows (`setMyCommands`), in both languages. */
    telegram_menu: z
      .array(
        z
          .object({
            command: z.string().regex(/^[a-z0-9_]{1,32}$/, "1–32 of a-z, 0-9 and _ (Telegram's rule)"),
            description: Localized,
          })
          .strict(),
      )
      .max(100)
      .default([]),
  })
  .strict();
export type Commands = z.infer<typeof Commands>;

export const FlowsFile = z
  .object({
    intents: z.record(IntentId, Intent).optional(),
    forms: z.record(z.string(), Form).optional(),
    messages: z.record(z.string(), Localized).optional(),
    lexicon: Lexicon.optional(),
    commands: Commands.optional(),
  })
  .strict();
export type FlowsFile = z.infer<typeof FlowsFile>;

// ---------------------------------------------------------------- config

const Span = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, "opening span as HH:MM-HH:MM");
const Weekly = z
  .object({
    mon: z.array(Span).default([]),
    tue: z.array(Span).default([]),
    wed: z.array(Span).default([]),
    thu: z.array(Span).default([]),
    fri: z.array(Span).default([]),
    sat: z.array(Span).default([]),
    sun: z.array(Span).default([]),
  })
  .strict();
export type Weekly = z.infer<typeof Weekly>;

export const ChannelKind = z.enum(["fanpage", "telegram", "zalo", "hotline", "livechat", "email"]);
export type ChannelKind = z.infer<typeof ChannelKind>;

export const OfficialChannel = z
  .object({
    kind: ChannelKind,
    name: Localized,
    purpose: Localized,
    /** Link users can open (Fanpage, t.me, zalo.me, live chat page). */
    url: z.string().optional(),
    /** Phone numbers (hotline), any common format. */
    numbers: z.array(z.string()).optional(),
    /** @handles, page slugs or addresses that identify this channel. */
    handles: z.array(z.string()).optional(),
    email: z.string().email().optional(),
    /** Opening hours of this channel, if not the support hours (`24/7` allowed). */
    hours: z.union([z.literal("24/7"), Weekly]).optional(),
    /** Usual response time in minutes for messages sent through this channel. */
    response_minutes: z.number().int().min(0).optional(),
    /** Conversation channels (`messenger`, `zalo`, `webchat`…) whose users this channel answers: its response time applies to them. */
    serves: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type OfficialChannel = z.infer<typeof OfficialChannel>;

export const Priority = z.enum(PRIORITIES);

export const EscalationRule = z
  .object({
    id: z.string().min(1),
    when: z
      .object({
        intents: z.array(z.string()).optional(),
        fallback_streak: z.number().int().min(1).optional(),
        form_failures: z.number().int().min(1).optional(),
        words: z.string().optional(),
        waited_past_response_time: z.boolean().optional(),
      })
      .strict()
      .refine((w) => Object.keys(w).length > 0, "a rule needs at least one condition"),
    priority: Priority,
    collect_form: z.union([z.boolean(), z.string()]).default(false),
  })
  .strict();
export type EscalationRule = z.infer<typeof EscalationRule>;

/** Interface text of the web live chat (the bot's own words stay in flows); each key has a default. */
const webchatText = (vi: string, en: string) => Localized.default({ vi, en });
export const WebchatTexts = z
  .object({
    title: webchatText("Hỗ trợ trực tuyến", "Live support"),
    subtitle: webchatText(
      "Trợ lý tự động, có nhân viên khi bạn cần",
      "Automated assistant, with staff when you need them",
    ),
    open: webchatText("Mở khung chat hỗ trợ", "Open the support chat"),
    close: webchatText("Đóng khung chat", "Close the chat"),
    messages_label: webchatText("Các tin nhắn", "Messages"),
    input_label: webchatText("Tin nhắn của bạn", "Your message"),
    placeholder: webchatText("Nhập câu hỏi của bạn…", "Type your question…"),
    send: webchatText("Gửi", "Send"),
    you: webchatText("Bạn", "You"),
    bot: webchatText("Trợ lý", "Assistant"),
    operator: webchatText("{name} · nhân viên hỗ trợ", "{name} · support staff"),
    typing: webchatText("Trợ lý đang trả lời…", "The assistant is typing…"),
    sending: webchatText("Đang gửi…", "Sending…"),
    connecting: webchatText("Đang kết nối…", "Connecting…"),
    reconnecting: webchatText("Mất kết nối, đang thử lại…", "Connection lost, retrying…"),
    unavailable: webchatText("Chưa kết nối được tới máy chủ hỗ trợ.", "Cannot reach the support server."),
    quick_replies_label: webchatText("Gợi ý trả lời", "Suggested replies"),
    image: webchatText("Hình ảnh", "Image"),
    file: webchatText("Tệp", "File"),
    attach: webchatText("Đính kèm ảnh hoặc tệp", "Attach a picture or a file"),
    attach_limits: webchatText(
      "Ảnh (JPG, PNG, GIF, WebP), PDF, Word, Excel, âm thanh hoặc video, tối đa {max} MB",
      "Pictures (JPG, PNG, GIF, WebP), PDF, Word, Excel, sound or video, up to {max} MB",
    ),
    file_too_large: webchatText("Tệp {name} lớn hơn {max} MB.", "{name} is larger than {max} MB."),
    file_refused: webchatText("Không gửi được tệp {name}: {reason}", "{name} was not sent: {reason}"),
    uploading: webchatText("Đang tải tệp lên…", "Uploading…"),
    new_messages: webchatText("Có tin nhắn mới", "New messages"),
    switch_language: webchatText("English", "Tiếng Việt"),
    noscript: webchatText("Bật JavaScript để dùng khung chat.", "Turn on JavaScript to use the chat."),
    too_long: webchatText(
      "Tin nhắn quá dài: tối đa {max} ký tự, tin này có {count} ký tự. Bạn hãy rút gọn hoặc chia thành nhiều tin.",
      "Message too long: at most {max} characters, this one has {count}. Please shorten it or split it.",
    ),
    rate_limited: webchatText(
      "Bạn gửi hơi nhanh. Vui lòng đợi {seconds} giây rồi gửi lại.",
      "You are sending too fast. Please wait {seconds} s and send again.",
    ),
    too_many_visitors: webchatText(
      "Có quá nhiều cuộc trò chuyện mới từ mạng của bạn. Vui lòng thử lại sau {minutes} phút.",
      "Too many new conversations from your network. Please try again in {minutes} min.",
    ),
    malformed: webchatText("Máy chủ không đọc được tin nhắn này.", "The server could not read that message."),
    failed: webchatText("Chưa gửi được tin nhắn, bạn thử lại nhé.", "The message was not sent; please try again."),
  })
  .strict();
export type WebchatTexts = z.infer<typeof WebchatTexts>;

/** The web live chat (`adapters/webchat`): interface text, who may embed it, limits. */
export const WebchatConfig = z
  .object({
    default_language: z.enum(LANGS).default("vi"),
    texts: WebchatTexts.prefault({}),
    /** Sites allowed to embed the widget (`https://shop.example.vn`); the chat's own origin always is. */
    allowed_origins: z
      .array(z.string().regex(/^https?:\/\/[^/?#\s]+$/, "an origin such as https://shop.example.vn (no path)"))
      .default([]),
    limits: z
      .object({
        max_message_chars: z.number().int().min(10).max(20_000).default(2000),
        /** Larger WebSocket frames close the connection (code 1009). */
        max_frame_bytes: z.number().int().min(1024).max(1_048_576).default(65_536),
        /** Per visitor: at most `messages` in any `seconds` (the engine's flood control comes on top). */
        rate_messages: z.number().int().min(1).default(8),
        rate_seconds: z.number().int().min(1).default(10),
        history_messages: z.number().int().min(1).max(1000).default(100),
        history_days: z.number().int().min(1).default(30),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type WebchatConfig = z.infer<typeof WebchatConfig>;

/**
 * Flood limits of the web live chat (`limits.webchat` in config/limits.yaml). Anyone can open it
 * without an account, so they are counted per client IP address (IPv6: per /64) and, for what
 * reaches the operators' group, for all visitors together.
 */
export const WebchatFloods = z
  .object({
    /** New visitors (new identities) from one IP in any window of `new_visitors_minutes`; more are refused. */
    new_visitors_per_ip: z.number().int().min(1).default(10),
    new_visitors_minutes: z.number().int().min(1).default(10),
    /** Requests from one IP posted to operators one by one (a topic each) in `escalations_per_ip_minutes`… */
    escalations_per_ip: z.number().int().min(0).default(3),
    escalations_per_ip_minutes: z.number().int().min(1).default(10),
    /** …and from every live-chat visitor together in any minute. */
    escalations_per_minute: z.number().int().min(0).default(10),
    /** Requests beyond either are still created, and listed in one notice per burst of this many minutes. */
    notice_minutes: z.number().int().min(1).default(10),
  })
  .strict();
export type WebchatFloods = z.infer<typeof WebchatFloods>;

/** Pictures, voice notes and files (config/media.yaml). */
export const MediaConfig = z
  .object({
    /** The largest file hotro fetches or accepts; larger ones reach operators as a note. */
    max_mb: z.number().min(1).max(200).default(50),
    /** How long a signed link to a file works. */
    link_minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
    /** What a live-chat visitor may upload (shown in the page before they pick a file). */
    webchat_max_mb: z.number().min(0.1).max(100).default(10),
  })
  .strict();
export type MediaConfig = z.infer<typeof MediaConfig>;
const SlaTarget = z
  .object({
    first_response_minutes: z.number().int().min(1),
    next_response_minutes: z.number().int().min(1),
    resolution_minutes: z.number().int().min(1),
  })
  .strict();

/** Promised times per priority, in business minutes (config/sla.yaml). */
export const SlaConfig = z
  .object({
    /** Share of a target after which the clock turns amber and the leads are warned. */
    warn_at: z.number().gt(0).lt(1).default(0.8),
    targets: z.object({ low: SlaTarget, normal: SlaTarget, high: SlaTarget, urgent: SlaTarget }).strict(),
  })
  .strict();
export type SlaConfig = z.infer<typeof SlaConfig>;

/** The quality loop's switches (config/quality.yaml). */
export const QualityConfig = z
  .object({
    csat: z
      .object({
        enabled: z.boolean().default(true),
        /** Ask for a comment after the score. */
        comment: z.boolean().default(true),
        /** A score at or below this notifies the leads. */
        low_score: z.number().int().min(1).max(5).default(2),
        /** An unanswered rating prompt lapses after this many hours. */
        expire_hours: z.number().int().min(1).default(24),
      })
      .strict()
      .prefault({}),
    /**
     * Close a request by itself after the desk waited this many hours on the user (a person
     * answered, the user never wrote back); 0: never. No rating is asked after such a close.
     */
    auto_close_hours: z.number().int().min(0).default(0),
    digest: z
      .object({
        enabled: z.boolean().default(true),
        weekday: z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]).default("mon"),
        hour: z.number().int().min(0).max(23).default(8),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type QualityConfig = z.infer<typeof QualityConfig>;

export const ConfigFile = z
  .object({
    brand: z
      .object({
        name: z.string().min(1),
        request_prefix: z
          .string()
          .regex(/^[A-Z]{1,6}$/)
          .default("HT"),
        website: z.string().optional(),
      })
      .strict()
      .optional(),
    timezone: z.string().optional(),
    channels: z.array(OfficialChannel).optional(),
    support_hours: Weekly.optional(),
    holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
    notice: z.object({ active: z.boolean(), text: Localized }).strict().optional(),
    limits: z
      .object({
        max_message_chars: z.number().int().min(100).default(4000),
        flood_messages: z.number().int().min(1).default(10),
        flood_seconds: z.number().int().min(1).default(10),
        human_idle_minutes: z.number().int().min(1).default(60),
        inbox_echo_minutes: z.number().int().min(1).default(30),
        form_failures_before_escalation: z.number().int().min(1).default(2),
        webchat: WebchatFloods.prefault({}),
      })
      .strict()
      .optional(),
    matcher: z
      .object({
        answer_threshold: z.number().min(0).max(1),
        clarify_threshold: z.number().min(0).max(1),
        margin: z.number().min(0).max(1),
      })
      .strict()
      .optional(),
    operators: z
      .object({
        /** Language of what the bot writes in the operators' group. */
        language: z.enum(LANGS).default("vi"),
        /** Minutes between two help answers to the same person in the group. */
        help_every_minutes: z.number().int().min(0).default(10),
      })
      .strict()
      .optional(),
    /** Messages on their way to one platform at once, per process (config/limits.yaml). */
    delivery: z
      .object({
        per_channel: z.number().int().min(1).max(512).default(16),
        operators: z.number().int().min(1).max(512).default(8),
      })
      .strict()
      .optional(),
    escalation: z
      .object({
        rules: z.array(EscalationRule).min(1),
        word_lists: z.record(z.string(), z.array(z.string().min(2)).min(1)).default({}),
      })
      .strict()
      .optional(),
    webchat: WebchatConfig.optional(),
    media: MediaConfig.optional(),
    sla: SlaConfig.optional(),
    quality: QualityConfig.optional(),
    privacy: PrivacyConfig.optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof ConfigFile>;
