/**
 * Zalo OA payloads as the adapter reads and writes them (../shared/notes/zalo-oa.md §4–§6).
 * Every id is a string: Zalo's ids have 18–19 digits, past 2^53, and the body is parsed
 * with `parseJsonKeepingBigInts` so a bare numeric id would still arrive as a string.
 */

/**
 * One webhook delivery (every event shares this envelope; fields vary by `event_name`), as
 * Zalo documents it. The adapter never trusts a body to match: `mapZaloEvent` reads it as
 * `unknown`, field by field.
 */
export interface ZaloWebhookBody {
  app_id?: string;
  oa_id?: string;
  user_id_by_app?: string;
  /** `user_click_chatnow`: the user who tapped "Nhắn tin" on the OA's profile. */
  user_id?: string;
  event_name?: string;
  /** Milliseconds since the epoch, as a string (part of the signature). */
  timestamp?: string;
  sender?: { id?: string; admin_id?: string };
  recipient?: { id?: string };
  /** `follow` / `unfollow`. */
  follower?: { id?: string };
  source?: string;
  message?: ZaloInboundMessage;
  /** `user_submit_info`: the answer to a request_user_info template. */
  info?: Record<string, unknown>;
}

export interface ZaloInboundMessage {
  msg_id?: string;
  /** `user_seen_message` carries several. */
  msg_ids?: string[];
  text?: string;
  quote_msg_id?: string;
  attachments?: ZaloInboundAttachment[];
}

export interface ZaloInboundAttachment {
  type?: string;
  payload?: {
    url?: string;
    thumbnail?: string;
    id?: string;
    name?: string;
    title?: string;
    description?: string;
    size?: string;
    type?: string;
    coordinates?: { latitude?: string | number; longitude?: string | number };
  };
}

/** A button of a CS message template. */
export type ZaloButton =
  | { title: string; type: "oa.open.url"; payload: { url: string } }
  | { title: string; type: "oa.open.phone"; payload: { phone_code: string } }
  | { title: string; type: "oa.query.hide" | "oa.query.show"; payload: string };

/**
 * The body of `POST /v3.0/oa/message/cs`. The recipient is the user (`user_id`), or the user's
 * message being answered (`message_id`, the official PHP SDK's `withMessageId`); a text may
 * quote the user's message (`quote_message_id`, the v3 API's quoted consultation message).
 */
export interface ZaloSendBody {
  recipient: { user_id: string } | { message_id: string };
  message: {
    text?: string;
    quote_message_id?: string;
    attachment?:
      | {
          type: "template";
          payload:
            | { buttons: ZaloButton[] }
            | { template_type: "media"; elements: { media_type: "image"; url: string }[] }
            | { template_type: "media"; elements: { media_type: "image" | "gif"; attachment_id: string }[] }
            | {
                template_type: "request_user_info";
                elements: { title: string; subtitle: string; image_url: string }[];
              };
        }
      /** A file uploaded with `/v2.0/oa/upload/file`, sent by the token it gave. */
      | { type: "file"; payload: { token: string } };
  };
}

/** Zalo's answer to every OpenAPI call: errors come with HTTP 200 and `error ≠ 0`. */
export interface ZaloApiResponse<T = Record<string, unknown>> {
  error?: number | string;
  message?: string;
  data?: T;
}

/** `POST /v4/oa/access_token` (refresh or code exchange). */
export interface ZaloTokenResponse {
  access_token?: string;
  refresh_token?: string;
  /** Seconds; Zalo sends a string ("90000"), a number is accepted too. */
  expires_in?: string | number;
  error?: number | string;
  error_name?: string;
  error_description?: string;
  message?: string;
}

/**
 * The token pair as stored in `deps.kv` (key `zalo:tokens:<app id>`), the only copy that
 * matters: the refresh token is single-use, so the newest one must never be lost.
 */
export interface TokenRecord {
  accessToken: string;
  refreshToken: string;
  /** When the access token stops working (ms since the epoch); 0 when unknown/none. */
  accessExpiresAt: number;
  /** Bumped on every write; a refresh is skipped when someone else already wrote a newer pair. */
  version: number;
  /** Where this pair came from: the environment, a refresh, or `npm run zalo:authorize`. */
  source: "env" | "refresh" | "authorize";
  updatedAt: number;
  /**
   * Fingerprint (sha256, hex) of the `ZALO_REFRESH_TOKEN` value this deployment last saw.
   * When the environment's value changes (an admin re-authorised and set a new one), the
   * environment wins; otherwise the stored pair does. Absent on pairs written by
   * `zalo:authorize` (the next start stamps it).
   */
  envSeed?: string;
}
