import { z } from "zod";
import { optional } from "../../src/config/env.js";

/**
 * Zalo OA (SPEC.md): the app, the OA secret that signs webhooks, the token pair to start from,
 * and the API and OAuth bases; then how replies are tied to the user's message, the reply
 * window, and the "share your information" card (docs/channels.md).
 */
export const zaloEnv = {
  ZALO_APP_ID: optional(z.string().regex(/^\d+$/, "digits only")),
  ZALO_APP_SECRET: optional(z.string().min(4)),
  ZALO_OA_SECRET_KEY: optional(z.string().min(4)),
  ZALO_REFRESH_TOKEN: optional(z.string().min(4)),
  ZALO_ACCESS_TOKEN: optional(z.string().min(4)),
  ZALO_API_URL: z.string().url().default("https://openapi.zalo.me"),
  ZALO_OAUTH_URL: z.string().url().default("https://oauth.zaloapp.com"),
  /**
   * How a reply names the user's message it answers (the OA help centre bills a message with a
   * `user_id` and no message id as proactive): `quote` (`message.quote_message_id`, the v3
   * consultation API's quote), `recipient` (`recipient.message_id`, the official PHP SDK's
   * reply-by-message form) or `off`.
   */
  ZALO_REPLY_REFERENCE: z.enum(["quote", "recipient", "off"]).default("quote"),
  /** Replies within this many hours of the user's last message are free; later ones are billed. */
  ZALO_FREE_REPLY_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 30)
    .default(48),
  /** No consultation message is accepted this many days after the user's last message (-230/-232). */
  ZALO_REPLY_WINDOW_DAYS: z.coerce.number().int().min(1).max(30).default(7),
  /**
   * A form asking for a phone number also sends Zalo's request_user_info card (the OA must be
   * allowed to ask: a refused card leaves the typed answer). Needs the card's picture.
   */
  ZALO_USER_INFO_IMAGE_URL: optional(z.string().url()),
};

export type ZaloEnv = z.infer<z.ZodObject<typeof zaloEnv>>;
