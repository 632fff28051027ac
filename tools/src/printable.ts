/**
 * The runtime's escaping rule (telestion-runtime's one-line.ts, which it does not export), for the
 * tool's own output: subjects, bodies and error texts come from whoever publishes on the bus, so their
 * characters and their length are untrusted before they reach a terminal.
 */

// C0 controls, DEL, C1 controls, line/paragraph separators and the bidirectional overrides that can
// make a terminal line lie about its content.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with unsafe characters escaped (`\x1b`, `\u2028`) and cut to `max` characters. */
export function printable(text: string, max = 300): string {
  const head = text.length > max ? text.slice(0, max) : text;
  const escaped = head.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  if (text.length <= max && escaped.length <= max) return escaped;
  return `${escaped.slice(0, max)}… (${text.length} characters)`;
}

/** An error as one printable line: its message, never its stack. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return printable(text.replace(/\s*[\r\n]+\s*/g, " ").trim()) || "unknown error";
}
