import { headers as natsHeaders, type Msg } from "@nats-io/transport-node";
import { encodeBody, type Body } from "./encode.js";
import { logSubject } from "./log.js";
import { Message } from "./message.js";

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
