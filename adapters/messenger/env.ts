import { z } from "zod";
import { optional } from "../../src/config/env.js";

/** `on`/`off` (also true/false, 1/0, yes/no), as a boolean. */
const onOff = (fallback: boolean) =>
  z
    .preprocess(
      (v) => (v === "" || v === undefined ? undefined : String(v).trim().toLowerCase()),
      z.string().optional(),
    )
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      if (["on", "true", "1", "yes"].includes(v)) return true;
      if (["off", "false", "0", "no"].includes(v)) return false;
      ctx.addIssue({ code: "custom", message: "use on or off" });
      return z.NEVER;
    });

/** The Page Inbox (Meta Business Suite) app, which owns threads its people answer (notes/messenger.md §7). */
export const PAGE_INBOX_APP_ID = "263902037430900";

/**
 * Facebook Messenger (SPEC.md): the Page token, the app secret that signs webhooks, the verify
 * token of the subscription handshake, and the Graph API base; then how hotro shares
 * conversations with the Page Inbox, tags people's replies, names operators and answers
 * comments (docs/channels.md).
 */
export const messengerEnv = {
  MESSENGER_PAGE_ACCESS_TOKEN: optional(z.string().min(10)),
  MESSENGER_APP_SECRET: optional(z.string().min(8)),
  MESSENGER_VERIFY_TOKEN: optional(z.string().min(1)),
  MESSENGER_APP_ID: optional(z.string().regex(/^\d+$/, "digits only")),
  /** v25.0 is available until 2028-07-29 (graph-versions.ts); start-up warns 90 days before a version ends. */
  MESSENGER_GRAPH_URL: z.string().url().default("https://graph.facebook.com/v25.0"),
  /** The Page Inbox is where the team answers: a closed request hands the conversation back to it. */
  MESSENGER_INBOX_PRIMARY: onOff(false),
  /** The Page Inbox's app id (Meta's, the same for every Page). */
  MESSENGER_INBOX_APP_ID: z.string().regex(/^\d+$/, "digits only").default(PAGE_INBOX_APP_ID),
  /** Take the conversation back (take_thread_control) when an operator in hotro answers. */
  MESSENGER_TAKE_THREAD: onOff(true),
  /** The app has Meta's Human Agent feature: a person may answer for 7 days with the HUMAN_AGENT tag. */
  MESSENGER_HUMAN_AGENT: onOff(true),
  /** How users see who wrote: a persona per operator, their name above the text, or neither. */
  MESSENGER_OPERATOR_NAME: z.enum(["auto", "persona", "prefix", "off"]).default("auto"),
  /** The picture personas show (Meta requires one); `auto` uses personas only when it is set. */
  MESSENGER_PERSONA_PICTURE_URL: optional(z.string().url()),
  /** Send `mark_seen` when the bot has read a message. */
  MESSENGER_MARK_SEEN: onOff(true),
  /** Page comments asking for support: `off`, `private` (one private reply), `public` (also a short public reply). */
  MESSENGER_COMMENTS: z.enum(["off", "private", "public"]).default("off"),
};

export type MessengerEnv = z.infer<z.ZodObject<typeof messengerEnv>>;
