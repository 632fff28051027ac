import { headers as natsHeaders, type Msg } from "@nats-io/transport-node";
import { encodeBody, type Body } from "./encode.js";
import { logSubject } from "./log.js";
import { Message } from "./message.js";
import { errorReply, failureOf, isClientError, replyBody, type Failure } from "./reply.js";
import type { Handler } from "./subscribe.js";

export interface TestMessageOptions {
  /** Makes it a request: replies are collected in `replies`. */
  reply?: string;
  headers?: Record<string, string>;
}

export interface TestMessage {
  message: Message;
  /** The bodies `message.respond()` sent. */
  replies: Uint8Array[];
}

/**
 * A Message built from a subject and a body, without a NATS connection, for unit tests of handlers.
 * The body is encoded by the same rules as `publish` (bytes as is, anything else as JSON).
 */
export function testMessage(subject: string, body?: Body, options: TestMessageOptions = {}): TestMessage {
  const replies: Uint8Array[] = [];
  const data = encodeBody(body);
  let hdrs: Msg["headers"];
  if (options.headers) {
    hdrs = natsHeaders();
    for (const [key, value] of Object.entries(options.headers)) hdrs.set(key, value);
  }
  const msg: Msg = {
    subject,
    sid: 0,
    reply: options.reply,
    data,
    headers: hdrs,
    respond(payload) {
      if (!options.reply) return false;
      // As the NATS client sends what is given to the raw message: a string as its UTF-8 text, nothing as an empty body.
      replies.push(typeof payload === "string" ? new TextEncoder().encode(payload) : (payload ?? new Uint8Array(0)));
      return true;
    },
    json: <T>() => JSON.parse(new TextDecoder().decode(data)) as T,
    string: () => new TextDecoder().decode(data),
  };
  return { message: new Message(msg), replies };
}

export interface LogRecorder {
  /** What the handler logged, in order, each body as given. */
  logged: Array<{ category: string; body: Body }>;
  /** Records instead of publishing; throws, as `service.log` does, for a bad category or a body JSON cannot carry. */
  log(category: string, body: Body): void;
}

/**
 * Stands in for the service in a handler's unit test (`Pick<Service, "log">`): keeps what the handler
 * logs instead of publishing it, so a test can compare `logged` with what the log sink would get.
 */
export function logRecorder(): LogRecorder {
  const logged: LogRecorder["logged"] = [];
  return {
    logged,
    log(category, body) {
      logSubject(category);
      encodeBody(body);
      logged.push({ category, body });
    },
  };
}

export interface ReplyOfOptions {
  /** Headers of the request. */
  headers?: Record<string, string>;
  /** The server's max_payload in bytes (nats-server's default: 1 MiB); a bigger reply is a failure. */
  maxPayload?: number;
}

export interface TestReply {
  /** "error" when the client gets an error reply (`service.request` then rejects with a ServiceError). */
  status: "ok" | "error";
  /** For an error: 400 for a MessageFormatError, a ServiceError's own code, else 500. */
  code?: number;
  /** For an error: the one-line text of the `Nats-Service-Error` header and the body's `error`. */
  error?: string;
  /** Whether the service's health figure counts it: errors do, except client errors (4xx). */
  counted: boolean;
  /** The reply's headers (the two `Nats-Service-Error` headers for an error, none for a value). */
  headers: Record<string, string>;
  /** The reply body, byte for byte as the client gets it. */
  body: Uint8Array;
  text(): string;
  json(): unknown;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * What a client gets when it sends `body` to `subject` and `handler` answers it as a reply handler
 * (`service.reply`), without a NATS connection: the returned value encoded as the runtime sends it
 * (JSON, a Uint8Array raw, undefined as null), or the error reply for a throw or rejection — by the
 * very rules the runtime uses (reply.ts). If the handler calls `message.respond()` itself, the client
 * gets that reply first, so that is the one shown.
 */
export async function replyOf(handler: Handler, subject: string, body?: Body, options: ReplyOfOptions = {}): Promise<TestReply> {
  const { message, replies } = testMessage(subject, body, { reply: "_INBOX.replyOf", headers: options.headers });
  let data: Uint8Array | undefined;
  let failure: Failure | undefined;
  try {
    data = replyBody(await handler(message), options.maxPayload ?? DEFAULT_MAX_PAYLOAD);
  } catch (err) {
    failure = failureOf(err);
  }
  const counted = failure !== undefined && !isClientError(failure.code);
  const first = replies[0] ?? data;
  if (first) return testReply({ status: "ok", counted, headers: {}, body: first });
  const reply = errorReply(failure!);
  const headers: Record<string, string> = {};
  for (const key of reply.headers.keys()) headers[key] = reply.headers.get(key);
  return testReply({ status: "error", code: failure!.code, error: failure!.text, counted, headers, body: reply.body });
}

function testReply(reply: Omit<TestReply, "text" | "json">): TestReply {
  return {
    ...reply,
    text: () => new TextDecoder().decode(reply.body),
    json: () => JSON.parse(new TextDecoder().decode(reply.body)) as unknown,
  };
}
