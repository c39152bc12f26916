import { z } from "zod";
import { optional } from "../../src/config/env.js";

/**
 * Zalo OA (SPEC.md): the app, the OA secret that signs webhooks, the token pair to start from,
 * and the API and OAuth bases.
 */
export const zaloEnv = {
  ZALO_APP_ID: optional(z.string().regex(/^\d+$/, "digits only")),
  ZALO_APP_SECRET: optional(z.string().min(4)),
  ZALO_OA_SECRET_KEY: optional(z.string().min(4)),
  ZALO_REFRESH_TOKEN: optional(z.string().min(4)),
  ZALO_ACCESS_TOKEN: optional(z.string().min(4)),
  ZALO_API_URL: z.string().url().default("https://openapi.zalo.me"),
  ZALO_OAUTH_URL: z.string().url().default("https://oauth.zaloapp.com"),
};

export type ZaloEnv = z.infer<z.ZodObject<typeof zaloEnv>>;
