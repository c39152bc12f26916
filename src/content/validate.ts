import { LANGS } from "../ports/vocabulary.js";
import { MESSAGE_KEYS } from "./schema.js";
import type { Content, Locator, Problem } from "./types.js";

/** The intent ids fixed by the content specification (tests and `classify` use them). */
export const REQUIRED_INTENTS = [
  "greeting",
  "bot.identity",
  "thanks",
  "goodbye",
  "contact.channels",
  "contact.hotline",
  "contact.livechat",
  "contact.email",
  "contact.social",
  "contact.verify_official",
  "contact.which_channel",
  "support.hours",
  "account.login_problem",
  "account.locked",
  "account.password_reset",
  "transaction.delayed",
  "system.incident",
  "ticket.create",
  "ticket.status",
  "handoff.human",
  "security.credentials",
  "guide.prepare_info",
  "promotions.news",
  "complaint.waiting",
  "none",
] as const;

/** Placeholders the template renderer fills in (see `engine/template.ts`). */
export const KNOWN_PLACEHOLDERS = new Set([
  "brand",
  // Files (media_link, ops_media_failed): what the file is, its size, a signed link to it.
  "what",
  "size",
  "url",
  "website",
  "channels",
  "social",
  "hotline",
  "hotlines",
  "email",
  "livechat_url",
  "fanpage_url",
  "telegram_url",
  "zalo_url",
  "hours",
  "channel_hours",
  "response_times",
  "open_status",
  "incident_status",
  "next_open",
  "notice",
  "request_id",
  "status",
  "title",
  "created",
  "value",
  "channel",
  "name",
  "contact",
  "purpose",
  "number",
  "prompt",
  "response_time",
  "max",
  "requests",
  "priority",
  "n",
  "operator",
  "error",
  "channel_name",
  "text",
  "fields",
  "transcript",
  "count",
  "request_ids",
  "first_id",
  "inbox",
  // The quality loop (flows/quality.yaml).
  "waited",
  "target",
  "score",
  "comment",
  "share",
  "phase",
  "elapsed",
  "from",
  "to",
  "conversations",
  "contained",
  "handed_off",
  "first_response",
  "sla_met",
  "csat",
  "ratings",
  "top_gap",
  "policy_url",
  "due",
]);

/** Checks that need the whole pack: references between files, required entries, templates. */
export function validateContent(content: Content, rawConfig: Record<string, unknown>, at: Locator): Problem[] {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ ...at(path), message });
  const { intents, forms, messages } = content.flows;
  const cfg = content.config;

  for (const id of REQUIRED_INTENTS) {
    if (!intents[id]) add(["intents"], `missing intent \`${id}\` (required by the content specification)`);
  }
  const messagesAt = Object.keys(messages)[0];
  if (content.flows.commands.cancel.length === 0) add(["intents"], "missing `commands` (cancel, skip, menu words)");
  for (const key of MESSAGE_KEYS) {
    if (!messages[key]) add(messagesAt ? ["messages", messagesAt] : ["messages"], `missing message \`${key}\``);
  }

  const checkTemplate = (path: (string | number)[], text: string) => {
    for (const m of text.matchAll(/\{([a-z_]+)\}/g)) {
      if (!KNOWN_PLACEHOLDERS.has(m[1] ?? "")) add(path, `unknown placeholder {${m[1]}}`);
    }
  };
  for (const [id, intent] of Object.entries(intents)) {
    if (intent.form && !forms[intent.form])
      add(["intents", id, "form"], `intent \`${id}\` uses unknown form \`${intent.form}\``);
    for (const [i, qr] of (intent.quick_replies ?? []).entries()) {
      if (typeof qr === "string" && qr !== "menu" && !intents[qr]) {
        add(["intents", id, "quick_replies", i], `quick reply refers to unknown intent \`${qr}\``);
      }
    }
    for (const lang of LANGS) if (intent.reply) checkTemplate(["intents", id, "reply", lang], intent.reply[lang]);
    for (const [i, group] of intent.others.entries()) {
      if (group !== "all" && group !== "names" && !content.flows.lexicon.others[group])
        add(["intents", id, "others", i], `\`others\` names \`${group}\`, which is not a group of lexicon.others`);
    }
  }
  for (const [id, form] of Object.entries(forms)) {
    for (const lang of LANGS) checkTemplate(["forms", id, "done", lang], form.done[lang]);
  }
  for (const [key, text] of Object.entries(messages)) {
    for (const lang of LANGS) checkTemplate(["messages", key, lang], text[lang]);
  }

  if (!rawConfig.brand) add(["config"], "missing `brand` (name and request prefix)");
  try {
    new Intl.DateTimeFormat("en", { timeZone: cfg.timezone });
  } catch {
    add(["config", "timezone"], `unknown time zone \`${cfg.timezone}\``);
  }
  const hotline = cfg.channels.find((c) => c.kind === "hotline");
  if (!hotline?.numbers?.length)
    add(["config", "channels"], "missing hotline: a channel of kind `hotline` with `numbers`");
  const email = cfg.channels.find((c) => c.kind === "email");
  if (!email?.email) add(["config", "channels"], "missing support email: a channel of kind `email` with `email`");
  for (const [i, ch] of cfg.channels.entries()) {
    if (["fanpage", "telegram", "zalo", "livechat"].includes(ch.kind) && !ch.url) {
      add(["config", "channels", i], `channel \`${ch.kind}\` needs a \`url\``);
    }
  }
  const m = cfg.matcher;
  if (m.clarify_threshold >= m.answer_threshold) {
    add(["config", "matcher", "clarify_threshold"], "clarify_threshold must be below answer_threshold");
  }
  if (cfg.escalation.rules.length === 0) add(["config"], "missing `escalation.rules`");
  for (const [i, rule] of cfg.escalation.rules.entries()) {
    for (const [j, intent] of (rule.when.intents ?? []).entries()) {
      if (!intents[intent])
        add(
          ["config", "escalation", "rules", i, "when", "intents", j],
          `rule \`${rule.id}\` refers to unknown intent \`${intent}\``,
        );
    }
    if (rule.when.words && !cfg.escalation.word_lists[rule.when.words]) {
      add(
        ["config", "escalation", "rules", i, "when", "words"],
        `rule \`${rule.id}\` refers to unknown word list \`${rule.when.words}\``,
      );
    }
    if (typeof rule.collect_form === "string" && !forms[rule.collect_form]) {
      add(
        ["config", "escalation", "rules", i, "collect_form"],
        `rule \`${rule.id}\` refers to unknown form \`${rule.collect_form}\``,
      );
    }
  }
  return problems;
}
