import { z } from "zod";
import { optional } from "../../src/config/env.js";

/**
 * Facebook Messenger (SPEC.md): the Page token, the app secret that signs webhooks, the verify
 * token of the subscription handshake, and the Graph API base.
 */
export const messengerEnv = {
  MESSENGER_PAGE_ACCESS_TOKEN: optional(z.string().min(10)),
  MESSENGER_APP_SECRET: optional(z.string().min(8)),
  MESSENGER_VERIFY_TOKEN: optional(z.string().min(1)),
  MESSENGER_APP_ID: optional(z.string().regex(/^\d+$/, "digits only")),
  /** v25.0 is available until 2028-07-29 (graph-versions.ts); start-up warns 90 days before a version ends. */
  MESSENGER_GRAPH_URL: z.string().url().default("https://graph.facebook.com/v25.0"),
};

export type MessengerEnv = z.infer<z.ZodObject<typeof messengerEnv>>;
