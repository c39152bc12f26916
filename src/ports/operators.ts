import type { ControlEvent } from "./control.js";
import type { OpsJob, SendOutcome } from "./queue.js";
import type { RequestRecord } from "./requests.js";

/** A control event for a user's conversation, decided from an operator's action. */
export interface RoutedControl {
  conv: string;
  event: ControlEvent;
  key: string;
}

/** Carries out operator-side jobs (posting to the Telegram group); absent when no group is configured. */
export interface OperatorsPort {
  run(job: OpsJob): Promise<SendOutcome>;
  /** Read an update from the operators' group: what it means for users' conversations. */
  handleUpdate(update: unknown, key: string): Promise<RoutedControl[]>;
  /**
   * A person's data is being erased: remove what was posted about these requests (their
   * topics and mirrored messages) where the platform allows it. How many were removed.
   */
  forget?(requests: RequestRecord[]): Promise<number>;
}
