import type { FormField } from "../content/schema.js";
import type { Attachment } from "../ports/message.js";
import { amounts, type Clock, emails, phones, times } from "../text/entities.js";
import { MASK } from "../text/secrets.js";

/**
 * What the form knows about an answer beyond its shape (from the matcher and the lexicon's
 * cues): a question rather than an answer, an insult, or words about something else.
 */
export interface AnswerLooks {
  question?: boolean;
  insult?: boolean;
  /** The matcher is sure the words are out of scope ("hôm nay trời đẹp quá"). */
  offTopic?: boolean;
}

/**
 * Validation of one form answer. Returns the value to store (normalised where it helps
 * operators: "9h sáng nay" keeps the words and gains the resolved date) or `undefined`
 * when the answer does not fit and the question is asked again. An insult never fits; a
 * question or off-topic words do not fit a name or a description.
 */
export function validateField(
  field: FormField,
  text: string,
  attachments: readonly Attachment[],
  clock: Clock,
  looks: AnswerLooks = {},
): string | undefined {
  const t = text.trim();
  if (looks.insult) return undefined;
  switch (field.type) {
    case "image": {
      const img = attachments.find((a) => a.type === "image" || a.type === "file");
      if (!img) return undefined;
      // hotro's copy first: a platform's link expires (and the transcript shows the file itself).
      if (img.mediaId) return `${img.name ?? img.type} (media:${img.mediaId})`;
      return img.url ?? (img.fileId ? `file:${img.fileId}` : (img.name ?? img.type));
    }
    case "time": {
      const found = times(t, clock)[0];
      if (!found) return undefined;
      const resolved = [found.date, found.time].filter(Boolean).join(" ");
      return resolved ? `${t} (${resolved})` : t;
    }
    case "amount": {
      const a =
        amounts(t)[0] ?? (/^\d{4,12}$/.test(t.replace(/[.,\s]/g, "")) ? Number(t.replace(/\D/g, "")) : undefined);
      return a ? `${t} (${a.toLocaleString("vi-VN")} VND)` : undefined;
    }
    case "phone":
      // A number shared with the platform's button (Telegram contact, Zalo's info form) counts too.
      return phones(t)[0] ?? phones(attachments.find((a) => a.type === "contact" && a.phone)?.phone ?? "")[0];
    case "email":
      return emails(t)[0];
    case "account": {
      if (t.includes(MASK)) return undefined;
      if (emails(t)[0]) return emails(t)[0];
      if (phones(t)[0]) return t;
      const words = t.split(/\s+/).filter(Boolean);
      // Account names are user names, emails or phone numbers: short, no sentence, no
      // question. A person's full name ("Nguyễn Văn An") fits; "bot ngu vl" does not.
      if (t.length < 3 || t.length > 64 || words.length > 4 || t.includes("?")) return undefined;
      if (!/[\p{L}\p{N}]/u.test(t)) return undefined;
      if (words.length > 1 && (looks.question || looks.offTopic)) return undefined;
      return t;
    }
    default: {
      if (looks.question || looks.offTopic) return undefined;
      const min = field.min_length ?? 3;
      const letters = t.replace(/[^\p{L}\p{N}]/gu, "");
      if (letters.length < Math.min(min, 3) || t.length < min) return undefined;
      return t;
    }
  }
}
