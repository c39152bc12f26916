import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fake-platform.js";
import { apply, mutations, processingErrors } from "../helpers/mutate.js";
import { type Chat, Client, startChat } from "../webchat/helpers.js";

/** The frames a browser sends (test/webchat/protocol.test.ts), with a fresh client id each. */
let n = 0;
const FIXTURES: Record<string, () => Record<string, unknown>> = {
  hello: () => ({ type: "hello", visitor: `visitor_mutant_${String(++n).padStart(6, "0")}`, lang: "vi" }),
  message: () => ({ type: "message", id: `m${++n}`, text: "ảnh lỗi đây ạ" }),
  postback: () => ({ type: "postback", id: `p${++n}`, payload: "intent:contact.hotline", text: "Hotline" }),
};

describe("live chat frames: any JSON shape", () => {
  let s: Chat;
  beforeAll(async () => {
    s = await startChat();
  });
  afterAll(() => s.close());

  /** Send one frame and wait until the server answers it (any frame) or closes the socket. */
  async function exchange(c: Client, frame: unknown): Promise<void> {
    const before = c.frames.length;
    c.send(frame);
    await waitFor(() => c.frames.length > before || c.closed !== undefined, 3000, "an answer to the frame");
  }

  for (const [name, make] of Object.entries(FIXTURES)) {
    it(`${name}: every field mutated → an error frame or an answer, never a failure`, async () => {
      let c: Client | undefined;
      for (const m of mutations(make())) {
        if (name === "hello") {
          c?.close();
          c = await Client.open(s.url);
        } else if (!c || c.closed !== undefined) {
          c?.close();
          c = (await Client.hello(s.url)).c;
        }
        await exchange(c, apply(make(), m));
      }
      c?.close();
      expect(processingErrors(s.h.logs)).toEqual([]);
    });
  }

  it("any JSON value as the whole frame: an error frame, and the socket still works", async () => {
    const { c } = await Client.hello(s.url);
    const deep = `{"type":"message","id":"deep","text":"hi","x":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
    for (const frame of ["null", "123", '"x"', "true", "[]", "[{}]", "{}", '{"type":null}', "{not json", deep])
      await exchange(c, frame);
    expect(c.frames.filter((f) => f.type === "error")).toHaveLength(10);
    c.send({ type: "message", id: "after", text: "số hotline là gì" });
    await c.next((f) => f.type === "message" && f.entry.from === "bot" && /1900 6868/.test(f.entry.text ?? ""));
    c.close();
  });

  it("afterwards a new visitor is still answered, and no mutant's words reached the log", async () => {
    const { c } = await Client.hello(s.url);
    c.send({ type: "message", id: "final", text: "số hotline là gì" });
    await c.next((f) => f.type === "message" && f.entry.from === "bot" && /1900 6868/.test(f.entry.text ?? ""));
    c.close();
    expect(processingErrors(s.h.logs)).toEqual([]);
    expect(s.h.logs.join("")).not.toContain("ảnh lỗi");
  });
});
