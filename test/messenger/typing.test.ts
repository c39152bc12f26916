import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fake-platform.js";
import { delivery, type Rig, rig, SEND_PATH, userMessage } from "./setup.js";

describe("typing while a late reply is prepared", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  });
  afterAll(() => r.close());
  const actions = (user: string) =>
    r.fake
      .to(SEND_PATH)
      .filter((q) => (q.body as { recipient?: { id?: string } }).recipient?.id === user)
      .map((q) => (q.body as { sender_action?: string }).sender_action ?? "message")
      // mark_seen goes out when the engine reads the message, on its own schedule (send.test.ts).
      .filter((a) => a !== "mark_seen");

  it("sends typing_on before the reply when the user has waited", async () => {
    await r.post(delivery([userMessage("late", "số hotline là gì", { ts: Date.now() - 5000 })]));
    await waitFor(() => actions("late").includes("message"));
    expect(actions("late")).toEqual(["typing_on", "message"]);
  });

  it("does not when the reply comes at once", async () => {
    await r.post(delivery([userMessage("prompt", "số hotline là gì")]));
    await waitFor(() => actions("prompt").includes("message"));
    await r.idle();
    expect(actions("prompt")).toEqual(["message"]);
  });
});
