/**
 * The one encoding rule for everything the runtime sends (publish, request, reply, log):
 * bytes as they are, strings as UTF-8, `undefined` as an empty body, anything else as JSON.
 */
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export type Body = unknown;

export function encodeBody(body: Body): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === "string") return encoder.encode(body);
  if (body === undefined) return EMPTY;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
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
