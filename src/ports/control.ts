/** Events that come from operators, routed through the user's conversation so they stay in order with it. */
export type ControlEvent =
  | {
      kind: "operator_message";
      requestId: string;
      operator: string;
      text?: string;
      image?: { url: string };
      /** Files from the media store (a console upload, a photo or document posted in the group). */
      attachments?: import("./message.js").Attachment[];
      /** Written in the web console: the Telegram group, if any, is shown it too. */
      surface?: "console";
    }
  | { kind: "request_taken"; requestId: string; operator: string }
  /** `auto`: closed by the system, not a person (no rating is asked). */
  | { kind: "request_closed"; requestId: string; operator?: string; auto?: boolean }
  /** A resolved request is open again: the conversation goes back to the people handling it. */
  | { kind: "request_reopened"; requestId: string; operator: string }
  | { kind: "back_to_bot"; requestId?: string; operator?: string }
  /**
   * The person's data was erased: erased once more in the conversation's own order, so a
   * turn that was under way during the erasure cannot write anything back.
   */
  | { kind: "forget" };
