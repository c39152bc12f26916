import { pathToFileURL } from "node:url";
import { type CoreEnv, EnvError, parseEnvWith } from "../../src/config/env.js";
import { loadContentOrThrow } from "../../src/content/load.js";
import type { Localized } from "../../src/content/schema.js";
import { type Content, ContentError } from "../../src/content/types.js";
import { Texts } from "../../src/engine/template.js";
import type { Lang } from "../../src/ports/vocabulary.js";
import { shorten } from "../../src/render/render.js";
import { runCli } from "../../src/shell/run.js";
import { GraphClient } from "./client.js";
import { type MessengerEnv, messengerEnv } from "./env.js";
import { classifyError } from "./outbound.js";

/**
 * `npm run messenger:setup`: the Page's Messenger profile (Get Started button, greeting,
 * persistent menu, ice breakers) through the Messenger Profile API, from flows/ and config/.
 * Run it again after changing the greeting, the menu's intent titles or the ice breakers'
 * questions (Meta allows 10 calls in 10 minutes). Where Messenger shows both, ice breakers
 * take the Get Started button's place on the welcome screen (Meta's profile priority); either
 * way the first tap reaches the bot.
 */

export const GET_STARTED_PAYLOAD = "GET_STARTED";
/** The persistent menu: contact channels, report a problem, check my request, talk to a person. */
export const MENU_INTENTS = ["contact.channels", "ticket.create", "ticket.status", "handoff.human"] as const;
/** Ice breakers (at most 4 questions on the welcome screen): the same intents, asked as questions. */
export const ICE_BREAKER_INTENTS = MENU_INTENTS;
const GREETING_MAX = 160;
const MENU_TITLE_MAX = 30;
/** Meta documents no length for an ice breaker's question; 80 keeps it on a line or two. */
const ICE_BREAKER_MAX = 80;
const LOCALES: { lang: Lang; locale: string }[] = [
  { lang: "vi", locale: "default" },
  { lang: "en", locale: "en_US" },
];

export interface MessengerProfile {
  get_started: { payload: string };
  greeting: { locale: string; text: string }[];
  persistent_menu: {
    locale: string;
    composer_input_disabled: false;
    call_to_actions: { type: "postback"; title: string; payload: string }[];
  }[];
  /** Meta's localized format (`locale` "default" required): each question sends its payload as a postback. */
  ice_breakers: { locale: string; call_to_actions: { question: string; payload: string }[] }[];
}

/** The profile body, from the greeting intent's reply and the menu intents' titles. */
export function buildMessengerProfile(content: Content, now = new Date()): MessengerProfile {
  const greetingIntent = content.flows.intents.greeting;
  const missing = MENU_INTENTS.filter((id) => !content.flows.intents[id]);
  if (missing.length > 0) throw new Error(`flows/ lacks the menu's intents: ${missing.join(", ")}`);
  return {
    get_started: { payload: GET_STARTED_PAYLOAD },
    greeting: LOCALES.map(({ lang, locale }) => {
      const texts = new Texts(content, lang, now);
      const source = greetingIntent?.reply?.[lang] ?? content.flows.messages.menu[lang];
      return { locale, text: greetingText(texts.fill(source)) };
    }),
    persistent_menu: LOCALES.map(({ lang, locale }) => ({
      locale,
      composer_input_disabled: false as const,
      call_to_actions: MENU_INTENTS.map((id) => ({
        type: "postback" as const,
        title: shorten(content.flows.intents[id]?.title[lang] ?? id, MENU_TITLE_MAX),
        payload: `intent:${id}`,
      })),
    })),
    ice_breakers: LOCALES.map(({ lang, locale }) => ({
      locale,
      call_to_actions: ICE_BREAKER_INTENTS.slice(0, 4).map((id) => {
        // `ice_breaker_<intent>` in flows (flows/platforms.yaml), else the intent's title.
        const asked = (content.flows.messages as Partial<Record<string, Localized>>)[
          `ice_breaker_${id.replaceAll(".", "_")}`
        ];
        const question = asked?.[lang] ?? content.flows.intents[id]?.title[lang] ?? id;
        return { question: shorten(question, ICE_BREAKER_MAX), payload: `intent:${id}` };
      }),
    })),
  };
}

/**
 * Meta's greeting takes 160 characters: keep whole sentences, in order, that fit (a long
 * middle sentence is left out), and shorten with … only if not even the first one fits.
 */
export function greetingText(text: string, max = GREETING_MAX): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const sentences = flat.match(/[^.!?]+[.!?]*\s*/g)?.map((s) => s.trim()) ?? [flat];
  let out = "";
  for (const s of sentences) {
    const next = out ? `${out} ${s}` : s;
    if (next.length <= max) out = next;
  }
  return out || shorten(flat, max);
}

export interface SetupResult {
  ok: boolean;
  lines: string[];
}

/** POST the profile; returns what to print. Never prints the token. */
export async function runMessengerSetup(env: CoreEnv & MessengerEnv, content: Content): Promise<SetupResult> {
  if (!env.MESSENGER_PAGE_ACCESS_TOKEN) {
    return {
      ok: false,
      lines: ["MESSENGER_PAGE_ACCESS_TOKEN is not set: put the Page access token in the environment"],
    };
  }
  const profile = buildMessengerProfile(content);
  const client = new GraphClient({
    baseUrl: env.MESSENGER_GRAPH_URL,
    accessToken: env.MESSENGER_PAGE_ACCESS_TOKEN,
    appSecret: env.MESSENGER_APP_SECRET,
    timeoutMs: 15_000,
  });
  try {
    const r = await client.post("/me/messenger_profile", profile);
    if (!r.ok) {
      const c = classifyError(r);
      const why = c.outcome.ok ? "unknown error" : c.outcome.error;
      const hint = c.tokenInvalid
        ? "renew MESSENGER_PAGE_ACCESS_TOKEN (a Page token with pages_messaging)"
        : r.network !== undefined
          ? `check MESSENGER_GRAPH_URL (${env.MESSENGER_GRAPH_URL}) and the network`
          : "check the Page token's permissions (pages_messaging) and the values printed above";
      return { ok: false, lines: [`Messenger profile NOT updated: ${why}`, `What to do: ${hint}`] };
    }
    const lines = [
      "Messenger profile updated:",
      `  Get Started button → postback ${GET_STARTED_PAYLOAD}`,
      ...profile.greeting.map((g) => `  greeting [${g.locale}] ${g.text}`),
      ...profile.persistent_menu.map(
        (m) => `  menu [${m.locale}] ${m.call_to_actions.map((a) => `${a.title} (${a.payload})`).join(" | ")}`,
      ),
      ...profile.ice_breakers.map(
        (b) =>
          `  ice breakers [${b.locale}] ${b.call_to_actions.map((a) => `${a.question} (${a.payload})`).join(" | ")}`,
      ),
    ];
    return { ok: true, lines };
  } finally {
    await client.close();
  }
}

async function main(): Promise<number> {
  let env: CoreEnv & MessengerEnv;
  let content: Content;
  try {
    env = parseEnvWith(messengerEnv);
    content = loadContentOrThrow({ configDir: env.CONFIG_DIR, flowsDir: env.FLOWS_DIR });
  } catch (err) {
    if (err instanceof EnvError || err instanceof ContentError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  try {
    const r = await runMessengerSetup(env, content);
    for (const line of r.lines) (r.ok ? console.log : console.error)(line);
    return r.ok ? 0 : 1;
  } catch (err) {
    console.error(`Messenger profile NOT updated: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli("messenger:setup", main);
}
