import { describe, expect, it } from "vitest";
import {
  asArray,
  asRecord,
  boundedCopy,
  readFlag,
  readId,
  readNumber,
  readString,
  readText,
} from "../../adapters/shared/read.js";

const WRONG = [null, undefined, {}, [], 123, "x", true];

describe("payload readers", () => {
  it("read a field of the wrong type as absent", () => {
    expect(WRONG.map(asRecord)).toEqual([undefined, undefined, {}, undefined, undefined, undefined, undefined]);
    expect(WRONG.map(asArray)).toEqual([[], [], [], [], [], [], []]);
    expect(WRONG.map(readString)).toEqual([undefined, undefined, undefined, undefined, undefined, "x", undefined]);
    expect(WRONG.map(readNumber)).toEqual([undefined, undefined, undefined, undefined, 123, undefined, undefined]);
    expect(WRONG.map(readId)).toEqual([undefined, undefined, undefined, undefined, "123", "x", undefined]);
    expect(WRONG.map(readFlag)).toEqual([false, false, false, false, false, false, true]);
    expect([" ", "", "a"].map(readText)).toEqual([undefined, undefined, "a"]);
    expect([1.5, 2 ** 60, -7, " "].map(readId)).toEqual([undefined, undefined, "-7", undefined]);
  });

  it("boundedCopy keeps what is shallow, drops what is deeper, and never recurses past its depth", () => {
    const v = { a: 1, b: { c: [1, { d: 2 }], e: "x" }, f: [[[]]] };
    expect(boundedCopy(v, 8)).toEqual(v);
    expect(boundedCopy(v, 2)).toEqual({ a: 1, b: { e: "x" }, f: [null] });
    expect(boundedCopy(v, 3)).toEqual({ a: 1, b: { c: [1, null], e: "x" }, f: [[null]] });
    const deep = JSON.parse(`${"[".repeat(200_000)}${"]".repeat(200_000)}`);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(JSON.stringify(boundedCopy({ deep }, 4))).toBe('{"deep":[[[null]]]}');
  });
});
