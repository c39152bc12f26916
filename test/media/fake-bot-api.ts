import { FakePlatform, type Recorded } from "../helpers/fake-platform.js";
import { OPS_CHAT, TOKEN } from "../telegram/helpers.js";

/**
 * A local Telegram Bot API: methods under `/bot<token>/`, JSON or multipart bodies (uploads),
 * `getFile` and the file download path `/file/bot<token>/<file_path>` serving files a test
 * registers, and the operators' group as a forum. Everything it receives stays in `requests`.
 */
export class FakeBotApi extends FakePlatform {
  /** file_id → bytes a user or an operator "sent". */
  readonly files = new Map<string, Buffer>();
  private messageId = 9000;
  private thread = 300;

  async begin(): Promise<this> {
    await this.start((r) => this.answer(r));
    return this;
  }

  /** Calls of one Bot API method, in order. */
  calls(method: string): Recorded[] {
    return this.to(`/bot${TOKEN}/${method}`);
  }

  /** Calls to the operators' group of any of these methods. */
  group(...methods: string[]): Recorded[] {
    return this.requests.filter((r) => {
      const m = r.path.split("/").pop() ?? "";
      return methods.includes(m) && String(field(r, "chat_id")) === String(OPS_CHAT);
    });
  }

  private answer(r: Recorded) {
    const file = r.path.match(new RegExp(`^/file/bot${TOKEN.replace(":", ":")}/files/(.+)$`));
    if (file?.[1]) {
      const bytes = this.files.get(decodeURIComponent(file[1]));
      return bytes ? { body: bytes } : { status: 404, body: { ok: false, description: "Not Found" } };
    }
    const method = r.path.startsWith(`/bot${TOKEN}/`) ? r.path.slice(`/bot${TOKEN}/`.length) : undefined;
    if (!method) return { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } };
    if (method === "getFile") {
      const id = String(field(r, "file_id"));
      const bytes = this.files.get(id);
      if (!bytes)
        return { status: 400, body: { ok: false, error_code: 400, description: "Bad Request: invalid file_id" } };
      if (bytes.length > 20 * 1024 * 1024)
        return { status: 400, body: { ok: false, error_code: 400, description: "Bad Request: file is too big" } };
      return {
        body: {
          ok: true,
          result: { file_id: id, file_unique_id: `u${id}`, file_size: bytes.length, file_path: `files/${id}` },
        },
      };
    }
    if (method === "getChat")
      return { body: { ok: true, result: { id: OPS_CHAT, type: "supergroup", title: "Ops", is_forum: true } } };
    if (method === "createForumTopic")
      return {
        body: { ok: true, result: { message_thread_id: ++this.thread, name: field(r, "name"), icon_color: 0 } },
      };
    if (method.startsWith("send")) {
      const chat = Number(field(r, "chat_id"));
      return {
        body: {
          ok: true,
          result: {
            message_id: ++this.messageId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: chat, type: "private" },
          },
        },
      };
    }
    return { body: { ok: true, result: true } };
  }
}

/** A field of a Bot API call, whether it came as JSON or as a multipart field. */
export function field(r: Recorded, name: string): unknown {
  const part = r.form?.get(name);
  if (part) return "value" in part ? part.value : part;
  return (r.body as Record<string, unknown> | undefined)?.[name];
}

/** The file a multipart call uploaded in `name` (`document`, `voice`, `photo`…). */
export function upload(r: Recorded, name: string): { filename: string; type: string; bytes: Buffer } | undefined {
  let part = r.form?.get(name);
  // The Bot API's way: the field says `attach://<part>`, and the file is that part.
  if (part && "value" in part && part.value.startsWith("attach://")) part = r.form?.get(part.value.slice(9));
  return part && "bytes" in part ? part : undefined;
}
