import { type Logger, pino } from "pino";

/**
 * Paths that may hold a token, a signature or a secret: pino replaces them before a line is
 * written. Request bodies are never logged (fastify's serializers keep method and url only).
 */
export const REDACT = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'req.headers["x-zevent-signature"]',
  'req.headers["access_token"]',
  'req.headers["secret_key"]',
  "*.token",
  "*.accessToken",
  "*.access_token",
  "*.refreshToken",
  "*.refresh_token",
  "*.secret",
  "*.password",
  "*.otp",
  "config.headers",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base: { app: "hotro" },
    redact: { paths: REDACT, censor: "[redacted]" },
    serializers: { err: pino.stdSerializers.err },
  };
  return destination ? pino(opts, destination) : pino(opts);
}
