/**
 * The one encoding rule for everything the runtime sends for a JavaScript value (publish, request,
 * reply, log), as Telestion's message format (ADR-0006) has it: JSON for values, raw bytes only for
 * binary. A Uint8Array (a Buffer too) or an ArrayBuffer goes out as its bytes; anything else as JSON,
 * a string included (`"hi"` with its quotes, so that a receiver's `json()` reads it back), and
 * `undefined` (no value) as `null`.
 */
const encoder = new TextEncoder();
const NULL = encoder.encode("null");

export type Body = unknown;

export function encodeBody(body: Body): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // A copy each time: a receiver of the bytes may change them.
  if (body === undefined) return NULL.slice();
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch (err) {
    throw new TypeError(`cannot encode body as JSON: ${(err as Error).message}`);
  }
  // JSON.stringify returns undefined for functions and symbols: refuse them instead of sending nothing.
  if (json === undefined) throw new TypeError(`cannot encode a ${typeof body} as a message body`);
  return encoder.encode(json);
}
