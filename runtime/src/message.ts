import type { Msg } from "@nats-io/transport-node";
import { encodeBody, type Body } from "./encode.js";
import { validateSync, type SchemaOutput, type StandardSchemaV1 } from "./schema.js";

/** Thrown by `Message.json()` when a body is not the JSON the handler expects. */
export class MessageFormatError extends Error {
  override name = "MessageFormatError";
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * A safe view of any message body. Reading never throws for binary input:
 * `data` is the raw bytes, `text()` decodes leniently (invalid UTF-8 becomes U+FFFD),
 * and only `json()` throws — a MessageFormatError that the handler wrapper reports and counts.
 */
export class Message {
  #text: string | undefined;

  constructor(private readonly msg: Msg) {}

  get subject(): string {
    return this.msg.subject;
  }

  /** The raw body. */
  get data(): Uint8Array {
    return this.msg.data;
  }

  get size(): number {
    return this.msg.data.byteLength;
  }

  /** Where a reply goes; undefined for plain published messages. */
  get replySubject(): string | undefined {
    return this.msg.reply || undefined;
  }

  /** The first value of a header, or undefined. */
  header(name: string): string | undefined {
    const headers = this.msg.headers;
    if (!headers?.has(name)) return undefined;
    return headers.get(name);
  }

  /** All headers as a plain object (name → values). */
  get headers(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const headers = this.msg.headers;
    if (!headers) return out;
    for (const key of headers.keys()) out[key] = headers.values(key);
    return out;
  }

  /** The body as UTF-8 text; never throws. */
  text(): string {
    this.#text ??= decoder.decode(this.msg.data);
    return this.#text;
  }

  /**
   * The body parsed as JSON, optionally validated by a schema (zod, or any Standard Schema library).
   * Throws MessageFormatError naming the subject and the problem.
   */
  json(): unknown;
  json<S extends StandardSchemaV1>(schema: S): SchemaOutput<S>;
  json(schema?: StandardSchemaV1): unknown {
    let value: unknown;
    try {
      value = JSON.parse(this.text());
    } catch (err) {
      // V8's message quotes the body; the body may be binary, so keep only the position.
      const position = /at position (\d+)/.exec((err as Error).message)?.[1];
      const where = position === undefined ? "" : `, error at position ${position}`;
      throw new MessageFormatError(`body on "${this.subject}" is not valid JSON (${this.size} bytes${where})`);
    }
    if (!schema) return value;
    const result = validateSync(schema, value, "(body)");
    if (result.ok) return result.value;
    throw new MessageFormatError(`body on "${this.subject}" is invalid: ${result.problems}`);
  }

  /** Replies (if the sender asked for one) with a body encoded by the usual rules. */
  respond(body?: Body): boolean {
    if (!this.msg.reply) return false;
    return this.msg.respond(encodeBody(body));
  }

  /** The underlying NATS message, for what this view does not cover. */
  get raw(): Msg {
    return this.msg;
  }
}
