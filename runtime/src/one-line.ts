/** An error as one printable line: its message with line breaks folded, never its stack. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : describe(err);
  return (
    text
      .replace(/\s*[\r\n]+\s*/g, " ")
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, "?")
      .trim() || "unknown error"
  );
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
