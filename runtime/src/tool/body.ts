/** Message bodies in and out of the tool: what a user types, and what a terminal may safely show. */
import { printable } from "../one-line.js";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** A body given on the command line: its text as UTF-8 (JSON stays JSON); none is an empty body. */
export function bodyFromArg(text: string | undefined): Uint8Array {
  return text === undefined ? new Uint8Array(0) : encoder.encode(text);
}

/** How many characters of a text body are shown; the rest is counted, not printed. */
export const SHOWN_CHARS = 2_000;
/** How many lines of a multi-line text body are shown. */
export const SHOWN_LINES = 200;
/** How many bytes of a binary body are shown in hex. */
export const SHOWN_BYTES = 32;

/**
 * A body for a terminal: valid UTF-8 as text with control characters escaped (line breaks kept
 * when `multiline`), anything else as `[binary, <n> bytes] <hex of the first bytes>`.
 */
export function showBody(data: Uint8Array, multiline = false): string {
  if (data.byteLength === 0) return "[empty]";
  let text: string;
  try {
    text = strictDecoder.decode(data);
  } catch {
    return showBinary(data);
  }
  if (!multiline) return printable(text, SHOWN_CHARS);
  const lines = text.split(/\r?\n/);
  const shown = lines.slice(0, SHOWN_LINES).map((line) => printable(line, SHOWN_CHARS));
  if (lines.length > SHOWN_LINES) shown.push(`… (${lines.length - SHOWN_LINES} more lines)`);
  return shown.join("\n");
}

function showBinary(data: Uint8Array): string {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, SHOWN_BYTES)).toString("hex");
  const pairs = head.match(/../g)!.join(" ");
  return `[binary, ${data.byteLength} bytes] ${pairs}${data.byteLength > SHOWN_BYTES ? " …" : ""}`;
}
