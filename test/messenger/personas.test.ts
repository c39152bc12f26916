import { describe, expect, it } from "vitest";
import type { SendJob } from "../../src/ports/queue.js";
import { graphError, isSendTo, rig } from "./setup.js";

/**
 * Users tell a person from the bot: a persona per operator (developers.facebook.com/
 * documentation/business-messaging/messenger-platform/send-messages/personas:
 * `POST /<PAGE_ID>/personas {name, profile_picture_url}` → `{id}`, then `persona_id` on the
 * send), created the first time they answer; or their name above the text.
 */

const PICTURE = "https://hotro.example.vn/nhan-vien.png";

const byOperator = (userId: string, text: string, name: string): SendJob => ({
  kind: "send",
  channel: "messenger",
  userId,
  conv: `messenger:${userId}`,
  message: { text, from: { kind: "operator", name } },
  userLastAt: Date.now() - 60_000,
  byPerson: true,
  control: "operator_message",
});

describe("operators' names on Messenger", () => {
  it("a persona per operator, created once and reused; the bot's own messages carry none", async () => {
    const r = await rig({
      adapter: { personaPictureUrl: PICTURE },
      fake: (f) => f.on((q) => (q.path === "/v21.0/me/personas" ? { body: { id: "1234500001" } } : undefined)),
    });
    try {
      expect(await r.adapter.send(byOperator("pe1", "Chào bạn, mình là Lan", "Lan"))).toEqual({ ok: true });
      expect(await r.adapter.send(byOperator("pe2", "Mình kiểm tra rồi", "Lan"))).toEqual({ ok: true });
      expect(r.fake.to("/v21.0/me/personas").map((q) => q.body)).toEqual([
        { name: "Lan", profile_picture_url: PICTURE },
      ]);
      for (const u of ["pe1", "pe2"]) {
        const [sent] = r.fake.requests.filter(isSendTo(u));
        expect(sent?.body).toMatchObject({ persona_id: "1234500001" });
        expect((sent?.body as { message?: { text?: string } } | undefined)?.message?.text).not.toMatch(/^Lan:/);
      }
      await r.adapter.send({
        ...byOperator("pe3", "Câu trả lời của bot", "x"),
        message: { text: "bot" },
        byPerson: false,
      });
      const [bot] = r.fake.requests.filter(isSendTo("pe3"));
      expect(bot?.body).not.toHaveProperty("persona_id");
    } finally {
      await r.close();
    }
  });

  it("when Meta refuses personas, the name goes above the text", async () => {
    const r = await rig({
      adapter: { operatorName: "persona", personaPictureUrl: PICTURE },
      fake: (f) => f.on((q) => (q.path === "/v21.0/me/personas" ? graphError(100, 2018008) : undefined)),
    });
    try {
      expect(await r.adapter.send(byOperator("pf1", "Dạ em nghe", "Trần Thị Hoa"))).toEqual({ ok: true });
      const [sent] = r.fake.requests.filter(isSendTo("pf1"));
      expect(sent?.body).not.toHaveProperty("persona_id");
      expect((sent?.body as { message?: { text?: string } } | undefined)?.message?.text).toBe(
        "Trần Thị Hoa:\nDạ em nghe",
      );
      // Not asked again for every message while it refuses.
      await r.adapter.send(byOperator("pf2", "Dạ", "Trần Thị Hoa"));
      expect(r.fake.to("/v21.0/me/personas")).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  it("MESSENGER_OPERATOR_NAME=off: neither a persona nor a name", async () => {
    const r = await rig({ adapter: { operatorName: "off", personaPictureUrl: PICTURE } });
    try {
      await r.adapter.send(byOperator("po1", "Dạ em nghe", "Lan"));
      const [sent] = r.fake.requests.filter(isSendTo("po1"));
      expect(sent?.body).toMatchObject({ message: { text: "Dạ em nghe" } });
      expect(sent?.body).not.toHaveProperty("persona_id");
      expect(r.fake.to("/v21.0/me/personas")).toEqual([]);
    } finally {
      await r.close();
    }
  });
});
