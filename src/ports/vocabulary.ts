/** Words every layer shares: the languages the bot speaks and the priorities a request can have. */

export const LANGS = ["vi", "en"] as const;
export type Lang = (typeof LANGS)[number];

export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];
