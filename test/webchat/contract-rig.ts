import type { ClientFrame } from "../../adapters/webchat/types.js";
import { netOf } from "../../adapters/webchat/visitors.js";
import type { Content } from "../../src/content/types.js";
import type { ChannelFixtures, ChannelRig, Sent } from "../contracts/channel.contract.js";
import { Client, startChat } from "./helpers.js";

/** A fixture: the frame a visitor's browser sends (the rig adds their credential to a hello). */
interface Frame {
  visitor: string;
  frame: ClientFrame;
}

let ids = 0;
const id = () => `c${++ids}`;

/** Frames of the live chat's own protocol (adapters/webchat/types.ts). */
export const webchatFixtures: ChannelFixtures = {
  text: (visitor, text): Frame => ({ visitor, frame: { type: "message", id: id(), text } }),
  postback: (visitor, payload): Frame => ({ visitor, frame: { type: "postback", id: id(), payload, text: "Chọn" } }),
  // A visitor with nothing yet says hello: the server greets them.
  start: (visitor): Frame => ({ visitor, frame: { type: "hello", lang: "vi" } }),
};

/** The live chat in the app, listening, talked to over real WebSockets. */
export async function webchatRig(content: Content): Promise<ChannelRig> {
  const s = await startChat({ harness: { content } });
  const secrets = new Map<string, string>();
  const sockets = new Map<string, Client>();
  /** Say hello presenting `secret`: the visitor the server took us for, and the socket. */
  const hello = (visitor: string, secret: string | undefined) =>
    Client.hello(s.url, { visitor, ...(secret ? { secret } : {}) });
  /** Send a message or a tap and wait for its ack (200) or error (400). */
  const say = async (c: Client, frame: Extract<ClientFrame, { type: "message" | "postback" }>) => {
    const from = c.frames.length;
    c.send(frame);
    const answer = await c.next((f) => (f.type === "ack" || f.type === "error") && f.id === frame.id, 5_000, from);
    return answer.type === "ack" ? 200 : 400;
  };
  return {
    h: s.h,
    adapter: s.chat,
    // The live chat is its own platform: a browser shows anything the protocol carries.
    limits: { text: s.chat.capabilities.maxTextLength },
    async user() {
      // A visitor made the way a first hello makes one, whose browser has not connected yet.
      const { visitor, secret } = await s.chat.visitors.create(netOf("127.0.0.1"));
      secrets.set(visitor, secret);
      return visitor;
    },
    async prepare(visitor) {
      const w = await hello(visitor, secrets.get(visitor));
      if (w.visitor !== visitor) throw new Error("the rig's visitor was not recognised");
      sockets.set(visitor, w.c);
      // A first hello is greeted: the visitor sees that before they write.
      await w.c.next((f) => f.type === "message" && f.entry.from === "bot", 5_000);
    },
    async deliver(payload, opts = {}) {
      const { visitor, frame } = payload as Frame;
      // The live chat's credential is the visitor's secret: a wrong one is refused as that
      // visitor (the server makes a new one instead). That refusal is this channel's 401.
      const secret = opts.forged ? "x".repeat(43) : secrets.get(visitor);
      if (frame.type === "hello") {
        const w = await hello(visitor, secret);
        if (w.visitor !== visitor) {
          w.c.close();
          return 401;
        }
        sockets.set(visitor, w.c);
        return 200;
      }
      if (opts.forged) {
        const w = await hello(visitor, secret);
        // Written anyway, as whoever the server took us for.
        await say(w.c, frame);
        w.c.close();
        return w.visitor === visitor ? 200 : 401;
      }
      const c = sockets.get(visitor);
      if (!c) throw new Error("say hello first (prepare)");
      return say(c, frame);
    },
    // What the browser shows: the visitor's history, which the channel's send writes.
    sent: async (visitor) =>
      (await s.chat.history.list(visitor))
        .filter((e) => e.from !== "user")
        .map((e): Sent => {
          const out: Sent = { at: e.at, ok: true, quickReplies: (e.quickReplies ?? []).map((q) => q.label) };
          if (e.text !== undefined) out.text = e.text;
          if (e.image?.url) out.image = e.image.url;
          return out;
        }),
    async close() {
      for (const c of sockets.values()) c.close();
      await s.close();
    },
  };
}
