import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Matcher } from "../../src/nlu/matcher.js";
import { matcherFor } from "../../src/nlu/train.js";
import { shippedContent } from "../helpers/content.js";

const probes = [
  "tk bi khoa r ad oi",
  "how do i reset my password",
  "số hotline",
  "thời tiết hôm nay",
  "tk",
  "HT-000123 sao rồi",
];

describe("saved matcher", () => {
  it("loads from bytes and answers exactly like the trained one", () => {
    const content = shippedContent();
    const trained = matcherFor(content);
    const loaded = Matcher.fromBuffer(trained.toBuffer(), content.flows.lexicon, trained.thresholds);
    for (const p of probes) expect(loaded.match(p), p).toEqual(trained.match(p));
    expect(loaded.language("and what's your email?")).toBe(trained.language("and what's your email?"));
  });

  it("is written to the data directory once and reused", () => {
    const dir = mkdtempSync(join(tmpdir(), "hotro-model-"));
    try {
      const content = structuredClone(shippedContent());
      // A different pack (one more example) so the in-process memo does not answer first.
      content.flows.intents.thanks?.examples.vi.push("cảm ơn bạn đã hỗ trợ tận tình");
      matcherFor(content, dir);
      const files = readdirSync(dir).filter((f) => f.startsWith("matcher-") && f.endsWith(".bin"));
      expect(files).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a truncated file", () => {
    const content = shippedContent();
    const buf = matcherFor(content).toBuffer();
    expect(() => Matcher.fromBuffer(buf.subarray(0, buf.length - 8), content.flows.lexicon)).toThrow(/truncated/);
  });
});
