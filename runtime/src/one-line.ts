/**
 * The one escaping rule for every line the runtime prints or sends as an error text: a publisher
 * controls subjects, categories and bodies, so their characters and their length are untrusted.
 */

/** Error texts and subjects are cut to this many characters: enough to read, never a flood. */
export const MAX_LINE_CHARS = 300;

// C0 controls, DEL, C1 controls, line/paragraph separators and the bidirectional overrides that can
// make a terminal line lie about its content.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with unsafe characters escaped (`\x1b`, `\u2028`) and cut to `max` characters; `fold` turns
 * line breaks into single spaces first. Only the head is looked at, so a huge text costs nothing.
 */
export function printable(text: string, max = MAX_LINE_CHARS, fold = false): string {
  let head = text.length > max ? text.slice(0, max) : text;
  if (fold) head = head.replace(/\s*[\r\n]+\s*/g, " ");
  const escaped = head.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  if (text.length <= max && escaped.length <= max) return escaped;
  return `${escaped.slice(0, max)}… (${text.length} characters)`;
}

/** An error as one printable, bounded line: its message with line breaks folded, never its stack. */
export function oneLine(err: unknown, max = MAX_LINE_CHARS): string {
  const text = err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : describe(err);
  return printable(text.trim(), max, true) || "unknown error";
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    try {
      return `thrown value ${JSON.stringify(value)}`;
    } catch {
      return "thrown object";
    }
  }
  return String(value);
}

/** Only the message, as one printable line: for a command's own errors, where the class name is noise. */
export function messageLine(err: unknown, max = MAX_LINE_CHARS): string {
  return printable((err instanceof Error ? err.message : String(err)).trim(), max, true) || "unknown error";
}
