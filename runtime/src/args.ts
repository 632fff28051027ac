/**
 * Command-line arguments as configuration: `--KEY=value`, `--KEY value` and a bare `--flag` (= true).
 * Positional arguments are ignored, so a service can still take its own.
 */
export type ArgValue = string | true;

export function parseArgs(argv: readonly string[]): Record<string, ArgValue> {
  const result: Record<string, ArgValue> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break; // everything after `--` belongs to the service itself
    if (!arg.startsWith("--") || arg.length === 2) continue;
    const body = arg.slice(2);
    const eq = body.indexOf("=");
    if (eq >= 0) {
      result[body.slice(0, eq)] = body.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    // `--KEY value` only when the next word is not itself an option; otherwise a flag.
    if (next !== undefined && !next.startsWith("--")) {
      result[body] = next;
      i++;
    } else {
      result[body] = true;
    }
  }
  return result;
}
