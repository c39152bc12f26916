import { describe, expect, it } from "vitest";
import type { Action } from "../../src/engine/actions.js";
import { NEW_REQUEST } from "../../src/engine/actions.js";
import type { EngineResult } from "../../src/engine/engine.js";
import { newSession } from "../../src/engine/session.js";
import type { EngineContext } from "../../src/engine/turn.js";
import type { ControlEvent } from "../../src/ports/control.js";
import type { InboundEvent } from "../../src/ports/message.js";
import type { RequestRef, Session } from "../../src/ports/session.js";
import { answer, content, engineContext, message, says, TUESDAY_10H, TUESDAY_23H, tap } from "./context.js";
import { handle, handleControl } from "./contradictions.js";

/**
 * The engine as a function of values: an event and a session in, the new session and the
 * actions out. No server, no store, no clock but the one in the context.
 */

const MINUTE = 60_000;
const NOW = TUESDAY_10H.getTime();

type Reply = Extract<Action, { type: "reply" }>;
const replies = (r: EngineResult) => r.actions.filter((a): a is Reply => a.type === "reply");
const texts = (r: EngineResult) => replies(r).map((a) => a.message.text ?? "");
const types = (r: EngineResult) => r.actions.map((a) => a.type);
const payloads = (r: EngineResult) =>
  replies(r)
    .flatMap((a) => a.message.quickReplies ?? [])
    .map((q) => q.payload);
const created = (r: EngineResult) => r.actions.find((a) => a.type === "request.create");

/** One conversation: each step hands the previous step's session back in. */
function conversation(ctx: EngineContext = engineContext(), start?: Session) {
  let session = start;
  return {
    get session(): Session {
      if (!session) throw new Error("nothing said yet");
      return session;
    },
    say(what: string | InboundEvent): EngineResult {
      const r = handle(typeof what === "string" ? message(what) : what, session, ctx);
      session = r.session;
      return r;
    },
    control(event: ControlEvent): EngineResult {
      const r = handleControl(event, session, ctx);
      session = r.session;
      return r;
    },
  };
}

const request = (over: Partial<RequestRef> = {}): RequestRef => ({
  id: "HT-000007",
  intent: "ticket.create",
  title: "Gửi yêu cầu hỗ trợ",
  status: "open",
  priority: "normal",
  createdAt: NOW - 5 * MINUTE,
  escalated: false,
  ...over,
});

describe("answers by intent", () => {
  it("answers a matched question with the intent's reply and remembers the intent", () => {
    const r = handle(message("số hotline là gì"), undefined, engineContext());
    expect(r.intent).toBe("contact.hotline");
    expect(r.zone).toBe("answer");
    expect(types(r)).toEqual(["reply"]);
    expect(texts(r)[0]).toContain("1900 6868");
    expect(r.session).toMatchObject({ lang: "vi", mode: "bot", lastIntent: "contact.hotline", fallbackStreak: 0 });
    expect(r.session.recent.map((l) => l.from)).toEqual(["user", "bot"]);
  });

  it("never touches the session it is handed", () => {
    const before = newSession();
    const copy = structuredClone(before);
    const r = handle(message("số hotline là gì"), before, engineContext());
    expect(before).toEqual(copy);
    expect(r.session).not.toBe(before);
  });

  it("answers in the language of the message, and follows it when it changes", () => {
    const c = conversation();
    const en = c.say("what is your hotline number");
    expect(en.intent).toBe("contact.hotline");
    expect(c.session.lang).toBe("en");
    expect(texts(en)).toEqual([answer("contact.hotline", "en")]);
    const vi = c.say("cho mình hỏi giờ làm việc của bên bạn");
    expect(vi.intent).toBe("support.hours");
    expect(c.session.lang).toBe("vi");
  });

  it("a short form answer says nothing about the language", () => {
    const c = conversation();
    c.say("I want to file a support request");
    expect(c.session.lang).toBe("en");
    expect(c.session.form?.id).toBe("request");
    const r = c.say("minh_99");
    expect(c.session.lang).toBe("en");
    expect(texts(r)).toEqual([content.flows.forms.request?.fields[1]?.prompt.en]);
  });

  it("a new user's first reply follows their app's language", () => {
    const r = handle(message(undefined, { kind: "start", meta: { lang: "en-US" } }), undefined, engineContext());
    expect(r.intent).toBe("greeting");
    expect(r.session.lang).toBe("en");
  });

  it("a tapped quick reply opens its intent, without the matcher", () => {
    // Its label, matched, would be another question: the payload decides.
    const r = handle(tap("intent:contact.email", "số hotline là gì"), undefined, engineContext());
    expect(r.intent).toBe("contact.email");
    expect(texts(r)[0]).toContain("support@hotro.example.vn");
  });

  it("a number typed back picks the choice offered last", () => {
    const c = conversation();
    c.say("tk");
    const offered = c.session.choices?.map((q) => q.payload) ?? [];
    const at = offered.indexOf("intent:account.locked");
    expect(at).toBeGreaterThanOrEqual(0);
    expect(c.say(String(at + 1)).intent).toBe("account.locked");
  });

  it("menu works anywhere", () => {
    const r = handle(message("menu"), undefined, engineContext());
    expect(texts(r)).toEqual([says("menu")]);
    expect(payloads(r)).toEqual(
      (content.flows.intents.greeting?.quick_replies ?? []).map((q) => (q === "menu" ? "menu" : `intent:${q}`)),
    );
  });
});

describe("fallback and did you mean", () => {
  it("offers choices when unsure, with a way to a person", () => {
    const r = handle(message("tk"), undefined, engineContext());
    expect(r.intent).toBe("clarify");
    expect(r.zone).toBe("clarify");
    expect(texts(r)).toEqual([says("did_you_mean")]);
    expect(payloads(r)).toContain("intent:account.locked");
    expect(payloads(r).at(-1)).toBe("intent:handoff.human");
    expect(r.session.choices?.map((q) => q.payload)).toEqual(payloads(r));
  });

  it("falls back below the threshold and counts the streak; two in a row escalate", () => {
    const c = conversation();
    const first = c.say("asdf qwer zxcv");
    expect(first.intent).toBe("none");
    expect(first.zone).toBe("fallback");
    expect(texts(first)).toEqual([says("fallback")]);
    expect(c.session.fallbackStreak).toBe(1);

    const second = c.say("blorp flarg");
    expect(types(second)).toEqual(["reply", "request.create", "reply"]);
    // A person is asked, and the user is told so: no "would you like a person?" question.
    expect(texts(second)[0]).toBe(says("fallback_handoff"));
    expect(created(second)).toMatchObject({
      draft: { intent: "handoff.human", rule: "repeated_fallback", priority: "normal" },
      handoff: true,
    });
    // The streak starts again once a person was asked.
    expect(c.session.fallbackStreak).toBe(0);
  });

  it("an answered message resets the streak", () => {
    const c = conversation();
    c.say("asdf qwer zxcv");
    c.say("số hotline là gì");
    expect(c.session.fallbackStreak).toBe(0);
    expect(created(c.say("blorp flarg"))).toBeUndefined();
  });
});

describe("forms", () => {
  const open = () => {
    const c = conversation();
    const r = c.say("mình muốn gửi yêu cầu hỗ trợ");
    return { c, r };
  };
  const prompt = (field: number) => content.flows.forms.request?.fields[field]?.prompt.vi ?? "";

  it("asks the first question after the intent's reply and the form's intro", () => {
    const { c, r } = open();
    expect(r.intent).toBe("ticket.create");
    expect(texts(r)).toEqual([answer("ticket.create"), content.flows.forms.request?.intro?.vi, prompt(0)]);
    expect(c.session.form).toEqual({ id: "request", intent: "ticket.create", field: 0, answers: {}, attempts: 0 });
  });

  it("asks again, with the field's own hint, when an answer does not fit", () => {
    const { c } = open();
    const r = c.say("a");
    expect(texts(r)).toEqual([`${content.flows.forms.request?.fields[0]?.invalid?.vi}\n${prompt(0)}`]);
    expect(c.session.form).toMatchObject({ field: 0, attempts: 1 });
  });

  it("will not skip a required question, skips an optional one, and files the request", () => {
    const { c } = open();
    c.say("user_a");
    const refused = c.say("bỏ qua");
    expect(texts(refused)[0]).toBe(`${says("form_not_optional")}\n${prompt(1)}`);
    expect(c.session.form).toMatchObject({ field: 1, answers: { account: "user_a" } });
    c.say("nạp tiền không vào tài khoản");
    const last = c.say("hôm qua");
    // The optional screenshot offers a skip button.
    expect(payloads(last)).toEqual(["form:skip"]);

    const done = c.say(tap("form:skip", "Bỏ qua"));
    expect(types(done)).toEqual(["request.create", "reply"]);
    // The id is the store's to give: the reply names the new request and keeps the placeholder.
    expect(done.actions[1]).toEqual({
      type: "reply",
      requestId: NEW_REQUEST,
      message: { text: content.flows.forms.request?.done.vi },
    });
    expect(created(done)).toMatchObject({
      type: "request.create",
      handoff: false,
      draft: {
        intent: "ticket.create",
        priority: "normal",
        fields: {
          "Tài khoản": "user_a",
          "Mô tả": "nạp tiền không vào tài khoản",
          "Thời điểm": "hôm qua (2026-11-23)",
          "Ảnh chụp màn hình": "—",
        },
      },
    });
    const s = c.session;
    expect(s.form).toBeUndefined();
    expect(s.mode).toBe("bot");
    expect(s.openRequestId).toBe(NEW_REQUEST);
    expect(s.requests).toEqual([
      {
        id: NEW_REQUEST,
        intent: "ticket.create",
        title: "Gửi yêu cầu hỗ trợ",
        status: "open",
        priority: "normal",
        createdAt: NOW,
        escalated: false,
      },
    ]);
  });

  it("cancel leaves the form and files nothing; the second cancelled form offers a person", () => {
    const c = conversation();
    c.say("mình muốn gửi yêu cầu hỗ trợ");
    const cancelled = c.say("hủy");
    expect(texts(cancelled)).toEqual([says("form_cancelled")]);
    expect(c.session.form).toBeUndefined();
    expect(c.session.formFailures).toBe(1);
    expect(created(cancelled)).toBeUndefined();

    c.say("mình muốn gửi yêu cầu hỗ trợ");
    const again = c.say("hủy");
    // "Cancelled, nothing filed" is never followed by a filed request in the same turn.
    expect(created(again)).toBeUndefined();
    expect(texts(again)).toEqual([says("form_cancelled_person")]);
    expect(payloads(again)).toEqual(["intent:handoff.human"]);
    expect(c.session.formFailures).toBe(0);
  });

  it("a form failed twice by answers that do not fit goes to a person with what was collected", () => {
    const c = conversation();
    for (let round = 0; round < 2; round++) {
      c.say("giao dịch của mình bị treo");
      c.say("acc_vip");
      c.say("ơ");
      c.say("hả");
      const r = c.say("???");
      if (round === 0) {
        expect(texts(r)).toEqual([says("form_cancelled")]);
        expect(created(r)).toBeUndefined();
        continue;
      }
      expect(texts(r)[0]).toBe(says("form_failed_handoff"));
      expect(created(r)).toMatchObject({
        draft: { rule: "form_failed", intent: "transaction.delayed", fields: { "Tài khoản": "acc_vip" } },
        handoff: true,
      });
    }
  });

  it("three answers that do not fit abandon the form", () => {
    const { c } = open();
    c.say("a");
    c.say("b");
    const r = c.say("c");
    expect(texts(r)).toEqual([says("form_cancelled")]);
    expect(c.session.form).toBeUndefined();
    expect(c.session.formFailures).toBe(1);
  });

  it("answers a question about something else, then comes back to the form", () => {
    const { c } = open();
    const r = c.say("số hotline là gì");
    expect(r.intent).toBe("contact.hotline");
    expect(texts(r).at(-1)).toBe(says("form_resumed", { prompt: prompt(0) }));
    expect(c.session.form).toMatchObject({ id: "request", field: 0 });
  });
});

describe("escalation", () => {
  it("a person asked for: a request is filed and the bot goes quiet while operators can be reached", () => {
    const c = conversation(engineContext({ operators: true }));
    const r = c.say("cho mình gặp nhân viên");
    expect(r.intent).toBe("handoff.human");
    expect(types(r)).toEqual(["request.create", "reply"]);
    expect(created(r)).toMatchObject({ draft: { rule: "ask_for_person", priority: "normal" }, handoff: true });
    expect(c.session).toMatchObject({ mode: "human", openRequestId: NEW_REQUEST, humanUntil: NOW + 60 * MINUTE });
    expect(r.actions[1]).toMatchObject({ type: "reply", requestId: NEW_REQUEST });
    expect(texts(r)[0]).toContain("{request_id}");
    expect(texts(r)[0]).toBe(says("handoff_started", { response_time: says("duration_minutes", { n: 5 }) }));
  });

  it("out of hours, the user is told when a person will answer", () => {
    const r = handle(
      message("cho mình gặp nhân viên"),
      undefined,
      engineContext({ operators: true, now: TUESDAY_23H }),
    );
    expect(r.actions[1]).toMatchObject({ type: "reply", requestId: NEW_REQUEST });
    expect(texts(r)[0]).toContain("08:00");
  });

  it("refers to the new request only after creating it", () => {
    const c = conversation(engineContext({ operators: true }));
    c.say("tài khoản của mình bị khóa");
    c.say("minh_nguyen99");
    const r = c.say("9h sáng nay");
    const creates = r.actions.flatMap((a, i) => (a.type === "request.create" ? [i] : []));
    const refs = r.actions.flatMap((a, i) => ("requestId" in a && a.requestId === NEW_REQUEST ? [i] : []));
    expect(creates).toEqual([0]);
    // The form's "done" and the hand-off message.
    expect(refs).toEqual([1, 2]);
  });

  it("without operators the request is filed and the user is given other ways", () => {
    const c = conversation();
    const r = c.say("cho mình gặp nhân viên");
    expect(created(r)).toMatchObject({ handoff: true });
    expect(c.session.mode).toBe("bot");
    expect(texts(r).at(-1)).toContain("1900 6868");
  });

  it("an urgent intent collects its form first, and the finished form goes to a person at once", () => {
    const c = conversation(engineContext({ operators: true }));
    c.say("tài khoản của mình bị khóa");
    expect(c.session.form).toMatchObject({
      id: "locked",
      intent: "account.locked",
      escalation: { rule: "urgent_intent", priority: "urgent" },
    });
    c.say("minh_nguyen99");
    const done = c.say("9h sáng nay");
    expect(created(done)).toMatchObject({
      draft: { intent: "account.locked", priority: "urgent", rule: "urgent_intent" },
      handoff: true,
    });
    expect(c.session.mode).toBe("human");
  });

  it("a scam is answered with what to do now, and its urgent form starts", () => {
    const r = handle(message("tôi bị lừa đảo mất tiền"), undefined, engineContext());
    expect(r.intent).toBe("security.scam_report");
    expect(texts(r)[0]).toBe(answer("security.scam_report"));
    expect(r.session.form).toMatchObject({ id: "scam", escalation: { rule: "urgent_intent", priority: "urgent" } });
  });

  it("asking for a person with a request open hands that request to a person", () => {
    const start = { ...newSession(), requests: [request({ intent: "account.locked" })] };
    const c = conversation(engineContext({ operators: true }), start);
    const r = c.say("cho mình gặp nhân viên");
    expect(created(r)).toBeUndefined();
    expect(r.actions).toContainEqual({
      type: "request.update",
      requestId: "HT-000007",
      priority: "normal",
      handoff: true,
    });
    // The person is on the way: never "you already have a request".
    expect(r.actions.at(-1)).toMatchObject({ type: "reply", requestId: "HT-000007" });
    expect(texts(r).at(-1)).toBe(says("handoff_started", { response_time: says("duration_minutes", { n: 5 }) }));
    expect(c.session).toMatchObject({ mode: "human", openRequestId: "HT-000007" });
    expect(c.session.requests).toEqual([request({ intent: "account.locked", escalated: true })]);
  });

  it("the same problem again is added to its open request", () => {
    const start = { ...newSession(), requests: [request({ intent: "account.locked" })] };
    const r = handle(message("sao tài khoản của mình vẫn bị khóa"), start, engineContext());
    expect(created(r)).toBeUndefined();
    expect(r.actions).toContainEqual(
      expect.objectContaining({
        type: "request.append",
        requestId: "HT-000007",
        line: expect.objectContaining({ from: "user", text: "sao tài khoản của mình vẫn bị khóa" }),
      }),
    );
  });

  it("a complaint escalates only once the open request waited past the channel's response time", () => {
    const soon = { ...newSession(), requests: [request({ createdAt: NOW - 5 * MINUTE })] };
    const calm = handle(message("sao lâu vậy chưa ai trả lời"), soon, engineContext());
    expect(calm.intent).toBe("complaint.waiting");
    expect(calm.actions.some((a) => a.type === "request.update")).toBe(false);

    const late = { ...newSession(), requests: [request({ createdAt: NOW - 3 * 60 * MINUTE })] };
    const r = handle(message("sao lâu vậy chưa ai trả lời"), late, engineContext());
    expect(r.actions).toContainEqual({
      type: "request.update",
      requestId: "HT-000007",
      priority: "high",
      handoff: true,
    });
    expect(texts(r)).toContain(says("complaint_escalated", { request_id: "HT-000007" }));
  });
});

describe("human mode", () => {
  const human = (): Session => ({
    ...newSession(),
    mode: "human",
    humanUntil: NOW + 30 * MINUTE,
    openRequestId: "HT-000007",
    requests: [request({ escalated: true, status: "in_progress" })],
  });

  it("keeps the bot quiet and passes the user's words to the request", () => {
    const r = handle(message("alo?"), human(), engineContext({ operators: true }));
    expect(r.actions).toEqual([
      { type: "request.append", requestId: "HT-000007", line: { from: "user", text: "alo?", at: NOW }, mirror: true },
    ]);
    expect(r.session.mode).toBe("human");
  });

  it("still warns about a code the user sent", () => {
    const r = handle(message("otp ******", { masked: ["otp"] }), human(), engineContext({ operators: true }));
    expect(types(r)).toEqual(["reply", "request.append"]);
    expect(texts(r)).toEqual([says("secret_warning")]);
  });

  it("comes back once the person has been idle", () => {
    const later = engineContext({ operators: true, now: new Date(NOW + 31 * MINUTE) });
    const r = handle(message("số hotline là gì"), human(), later);
    expect(r.session.mode).toBe("bot");
    expect(r.session.humanUntil).toBeUndefined();
    expect(r.intent).toBe("contact.hotline");
  });

  it("a person answering from the platform's inbox pauses the bot", () => {
    const r = handle(message("Chào bạn, mình là Lan", { kind: "human_reply" }), undefined, engineContext());
    expect(r.actions).toEqual([]);
    expect(r.session.mode).toBe("human");
    expect(r.session.humanUntil).toBe(NOW + content.config.limits.inbox_echo_minutes * MINUTE);
    expect(r.session.recent.at(-1)).toEqual({ from: "operator", text: "Chào bạn, mình là Lan", at: NOW });
  });
});

describe("control events", () => {
  const filed = (): Session => ({ ...newSession(), openRequestId: "HT-000007", requests: [request()] });

  it("an operator's message goes to the user and the bot steps aside", () => {
    const start = { ...filed(), form: { id: "request", intent: "ticket.create", field: 1, answers: {}, attempts: 0 } };
    const r = handleControl(
      { kind: "operator_message", requestId: "HT-000007", operator: "Lan", text: "Chào bạn, mình là Lan" },
      start,
      engineContext({ operators: true }),
    );
    expect(r.actions).toEqual([
      { type: "request.update", requestId: "HT-000007", status: "in_progress" },
      {
        type: "relay",
        requestId: "HT-000007",
        message: { from: { kind: "operator", name: "Lan" }, text: "Chào bạn, mình là Lan" },
      },
    ]);
    expect(r.session).toMatchObject({ mode: "human", openRequestId: "HT-000007", humanUntil: NOW + 60 * MINUTE });
    expect(r.session.form).toBeUndefined();
    expect(r.session.requests[0]?.status).toBe("in_progress");
  });

  it("a taken request is assigned and puts the conversation in a person's hands", () => {
    const r = handleControl(
      { kind: "request_taken", requestId: "HT-000007", operator: "Lan" },
      filed(),
      engineContext({ operators: true }),
    );
    expect(r.actions).toEqual([
      { type: "request.update", requestId: "HT-000007", status: "in_progress", assignee: "Lan" },
    ]);
    expect(r.session.mode).toBe("human");
  });

  it("a closed request gives the conversation back to the bot, and the user is told", () => {
    const c = conversation(engineContext({ operators: true }), filed());
    c.control({ kind: "operator_message", requestId: "HT-000007", operator: "Lan", text: "Đã xử lý xong" });
    const r = c.control({ kind: "request_closed", requestId: "HT-000007", operator: "Lan" });
    // A person wrote to the user, so the close is followed by the one rating prompt (CSAT).
    expect(r.actions.map((a) => a.type)).toEqual(["request.update", "quality", "reply"]);
    expect(r.actions[0]).toEqual({
      type: "request.update",
      requestId: "HT-000007",
      status: "resolved",
      closedBy: "person",
      by: "Lan",
    });
    expect(r.actions[1]).toMatchObject({ kind: "csat", requestId: "HT-000007", data: { outcome: "asked" } });
    expect(r.actions[2]).toMatchObject({
      type: "reply",
      message: {
        text: `${says("request_closed", { request_id: "HT-000007" })}\n\n${says("csat_prompt", { request_id: "HT-000007" })}`,
      },
    });
    expect(c.session.mode).toBe("bot");
    expect(c.session.openRequestId).toBeUndefined();
    expect(c.session.requests[0]?.status).toBe("resolved");
    expect(c.say("số hotline là gì").intent).toBe("contact.hotline");
  });

  it("back to the bot: the hand-off ends and the request stays", () => {
    const r = handleControl(
      { kind: "back_to_bot", requestId: "HT-000007", operator: "Lan" },
      { ...filed(), mode: "human", humanUntil: NOW + MINUTE },
      engineContext({ operators: true }),
    );
    expect(r.actions).toEqual([
      { type: "reply", message: { text: says("human_returned_to_bot") } },
      { type: "request.update", requestId: "HT-000007", handoff: false, by: "Lan" },
    ]);
    expect(r.session.mode).toBe("bot");
    expect(r.session.requests[0]?.status).toBe("open");
  });
});

describe("limits", () => {
  const { flood_messages, flood_seconds, max_message_chars } = content.config.limits;

  it("past the flood limit: one notice, then quiet until the window has passed", () => {
    let session: Session | undefined;
    const at = (ms: number) => engineContext({ now: new Date(NOW + ms) });
    for (let i = 0; i < flood_messages; i++) {
      const r = handle(message("số hotline là gì"), session, at(i));
      session = r.session;
      expect(r.intent, `message ${i + 1}`).toBe("contact.hotline");
    }
    const over = handle(message("số hotline là gì"), session, at(flood_messages));
    expect(over.actions).toEqual([{ type: "reply", message: { text: says("flood_notice") } }]);
    const quiet = handle(message("số hotline là gì"), over.session, at(flood_messages + 1));
    expect(quiet.actions).toEqual([]);
    const after = handle(message("số hotline là gì"), quiet.session, at(flood_seconds * 1000 + 1));
    expect(after.intent).toBe("contact.hotline");
  });

  it("a message over the length limit is refused in the user's language", () => {
    const r = handle(message("a ".repeat(max_message_chars)), undefined, engineContext());
    expect(texts(r)).toEqual([says("message_too_long", { max: max_message_chars })]);
  });

  it("an attachment alone goes to the open request, or is explained", () => {
    const image = { attachments: [{ type: "image" as const, url: "https://example.vn/a.png" }] };
    const none = handle(message(undefined, image), undefined, engineContext());
    expect(texts(none)).toEqual([says("unsupported_attachment")]);

    const start = { ...newSession(), openRequestId: "HT-000007", requests: [request()] };
    const r = handle(message(undefined, image), start, engineContext());
    expect(r.actions).toEqual([
      {
        type: "request.append",
        requestId: "HT-000007",
        line: { from: "user", text: "[image]", at: NOW },
        attachments: image.attachments,
        mirror: false,
      },
      {
        type: "reply",
        message: { text: `${says("request_attached", { request_id: "HT-000007" })} ${says("request_next_filed")}` },
      },
    ]);
  });
});
