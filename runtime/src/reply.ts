import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { encodeBody } from "./encode.js";
import { MessageFormatError } from "./message.js";
import { messageLine, oneLine } from "./one-line.js";

/**
 * What a reply handler's client gets, written down once: the handler wrapper (subscribe.ts) sends it
 * and `replyOf` (testing.ts) shows it, so a handler's unit test and the bus can never disagree.
 */

/** The headers NATS micro services use for error replies, so standard clients recognise them. */
export const ERROR_HEADER = "Nats-Service-Error";
export const ERROR_CODE_HEADER = "Nats-Service-Error-Code";

/** Thrown by a handler to answer with an error of its choice: `Nats-Service-Error-Code: <code>`. */
export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A handler's failure as its client and the service's report see it. */
export interface Failure {
  /** 400 for input the handler refused, the code a handler chose, else 500 (as NATS micro services do). */
  code: number;
  /** One printable line: the message alone for a ServiceError or MessageFormatError, else with the class name. */
  text: string;
}

export function failureOf(err: unknown): Failure {
  if (err instanceof MessageFormatError) return { code: 400, text: messageLine(err) };
  // The text a handler chose for its ServiceError is the message; for any other error the class name
  // helps ("TypeError: …").
  if (err instanceof ServiceError) return { code: err.code, text: messageLine(err) };
  return { code: 500, text: oneLine(err) };
}

/** A client error (4xx: the request was wrong) is the sender's problem, so health does not count it. */
export function isClientError(code: number): boolean {
  return code >= 400 && code < 500;
}

/** The error reply for a failure: body `{"error": text}` and the two NATS micro error headers. */
export function errorReply(failure: Failure): { body: Uint8Array; headers: MsgHdrs } {
  const h = headers();
  h.set(ERROR_HEADER, failure.text);
  h.set(ERROR_CODE_HEADER, String(failure.code));
  return { body: encodeBody({ error: failure.text }), headers: h };
}

/**
 * A reply handler's returned value as the reply body (encode.ts's rule); throws if it cannot be
 * encoded or exceeds the server's `maxPayload`, a failure the wrapper answers as any other.
 */
export function replyBody(value: unknown, maxPayload: number | undefined): Uint8Array {
  const body = encodeBody(value);
  if (maxPayload !== undefined && body.byteLength > maxPayload) {
    throw new Error(`the reply of ${body.byteLength} bytes exceeds the server's max_payload of ${maxPayload} bytes`);
  }
  return body;
}
