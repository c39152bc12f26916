import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SecretKind } from "../../src/ports/message.js";
import { maskSecrets } from "../../src/text/secrets.js";

/**
 * The held-out secrets corpus (test/eval/secrets-heldout.jsonl): phrasings written apart
 * from the rules and never used to tune them. Each secret must be gone from the masked
 * text (numbers compared digit by digit, so regrouping or fullwidth forms do not hide a
 * leak; a card may keep its last four digits), and each negative must come back unchanged.
 */

interface Row {
  text: string;
  secret: string | null;
  kind: SecretKind | null;
}

const rows: Row[] = readFileSync(join(import.meta.dirname, "../eval/secrets-heldout.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Row);

const plain = (s: string) => s.normalize("NFKC").replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/gu, "");
const digitsOf = (s: string) => plain(s).replace(/\D/gu, "");

/** What of the secret is still readable in `masked`, or undefined when nothing is. */
function leak(row: Row & { secret: string }, masked: string): string | undefined {
  const secret = plain(row.secret);
  if (!/\p{L}/u.test(secret)) {
    const digits = digitsOf(secret);
    const mustGo = row.kind === "card" && digits.length >= 13 ? digits.slice(0, -4) : digits;
    return digitsOf(masked).includes(mustGo) ? mustGo : undefined;
  }
  const out = plain(masked);
  if (out.includes(secret)) return secret;
  return secret.split(/\s+/u).find((part) => part.length >= 3 && out.includes(part));
}

const positives = rows.filter((r): r is Row & { secret: string } => r.secret !== null);
const negatives = rows.filter((r) => r.secret === null);
const tally = { masked: 0, kindRight: 0, untouched: 0 };

describe("held-out secrets corpus", () => {
  it("has enough varied lines", () => {
    expect(rows.length).toBeGreaterThanOrEqual(120);
    expect(negatives.length).toBeGreaterThanOrEqual(40);
  });

  it.each(positives.map((r) => [r.text, r] as const))("masks %j", (_text, row) => {
    const r = maskSecrets(row.text);
    expect(leak(row, r.text), r.text).toBeUndefined();
    expect(r.kinds.length).toBeGreaterThan(0);
    tally.masked++;
    if (row.kind && r.kinds.includes(row.kind)) tally.kindRight++;
  });

  it.each(negatives.map((r) => [r.text] as const))("leaves %j alone", (text) => {
    expect(maskSecrets(text)).toEqual({ text, kinds: [] });
    tally.untouched++;
  });

  afterAll(() => {
    console.log(
      `secrets held-out: ${tally.masked}/${positives.length} secrets masked (${tally.kindRight} with the expected kind), ` +
        `${tally.untouched}/${negatives.length} negatives untouched`,
    );
  });
});
