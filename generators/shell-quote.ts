/** Quotes a word for POSIX shells when it holds anything beyond plain path characters (a `*`, `$`, space…). */
export function shellQuote(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
