import { z } from "zod";
import { optional } from "../../src/config/env.js";

/**
 * The web live chat: other sites allowed to embed it (comma-separated origins).
 */
export const webchatEnv = {
  WEBCHAT_ALLOWED_ORIGINS: optional(z.string()),
};

export type WebchatEnv = z.infer<z.ZodObject<typeof webchatEnv>>;
