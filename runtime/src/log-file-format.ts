/**
 * One line per logged message: `<ISO timestamp> <body>`. A body that is single-line, printable
 * UTF-8 is written as text; anything else (binary, line breaks, control characters) as
 * `base64:<data>`. A text body that itself starts with the marker is encoded too, so every line
 * can be turned back into the exact bytes that were published.
 */
export const BINARY_MARKER = "base64:";

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/;

let stampMs = Number.NaN;
let stampText = "";

/** `at` as an ISO timestamp; the text is reused within one millisecond, as a flood of lines asks for it. */
function isoTimestamp(at: Date | number): string {
  const ms = typeof at === "number" ? at : at.getTime();
  if (ms !== stampMs) {
    stampMs = ms;
    stampText = new Date(ms).toISOString();
  }
  return stampText;
}

export function formatLogLine(body: Uint8Array, at: Date | number): string {
  return `${isoTimestamp(at)} ${encodeLogBody(body)}\n`;
}

export function encodeLogBody(body: Uint8Array): string {
  const text = asPrintableText(body);
  return text ?? BINARY_MARKER + Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64");
}

/** Reverses formatLogLine (without its newline). */
export function parseLogLine(line: string): { at: Date; body: Uint8Array } {
  const space = line.indexOf(" ");
  if (space < 0) throw new Error("not a log line: no space after the timestamp");
  const at = new Date(line.slice(0, space));
  if (Number.isNaN(at.getTime())) throw new Error("not a log line: bad timestamp");
  const rest = line.slice(space + 1);
  const body = rest.startsWith(BINARY_MARKER)
    ? new Uint8Array(Buffer.from(rest.slice(BINARY_MARKER.length), "base64"))
    : new TextEncoder().encode(rest);
  return { at, body };
}

function asPrintableText(body: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictDecoder.decode(body);
  } catch {
    return undefined;
  }
  // A BOM would be dropped by the decoder, so the bytes would not round-trip.
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return undefined;
  if (UNPRINTABLE.test(text) || text.startsWith(BINARY_MARKER)) return undefined;
  return text;
}
