import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Flags } from "./answers.js";
import { UserError } from "./errors.js";
import { KEYS, QUESTIONS, type Setting } from "./questions.js";
import { splitSubjects } from "./validate.js";

export type Command = { kind: "help" } | { kind: "version" } | { kind: "create"; flags: Flags };

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Every question's option (questions.ts), then the ones that are not answers. */
const OPTIONS: Options = {
  ...Object.fromEntries(
    Object.values(QUESTIONS).flatMap(({ kind, flag }): [string, Options[string]][] => {
      if (kind === "directory") return [];
      // Node 20's parseArgs has no negated booleans, so --no-x is an option of its own.
      if (kind === "switch") return [[flag, { type: "boolean" }], [`no-${flag}`, { type: "boolean" }]];
      return [[flag, { type: "string", multiple: kind === "list" }]];
    }),
  ),
  yes: { type: "boolean", short: "y" },
  project: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
};

/**
 * argv (without node and the script) → what to do. Values are only parsed here, not validated.
 * Throws UserError with a one-line message for unknown options, missing values and extra arguments.
 */
export function parseCommandLine(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new UserError(argumentProblem(error));
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length > 1) {
    throw new UserError(
      `expected at most one directory but got ${positionals.map((p) => `"${p}"`).join(", ")}; quote a directory name that contains spaces`,
    );
  }
  // Of --install and --no-install (and --git/--no-git), the last one given wins, as in most CLIs.
  const given = tokens.flatMap((token) => (token.kind === "option" ? [token.name] : []));
  const lastOf = (flag: string) => given.findLast((name) => name === flag || name === `no-${flag}`);
  const flags: Record<string, unknown> = { yes: values.yes ?? false, ...(values.project ? { project: true } : {}) };
  for (const key of KEYS) {
    const { kind, flag } = QUESTIONS[key];
    const value = values[flag] as string | string[] | undefined;
    const last = lastOf(flag);
    flags[key] =
      kind === "directory"
        ? positionals[0]
        : kind === "switch"
          ? last === undefined ? undefined : last === flag
          : kind === "list"
            ? value && splitSubjects(value)
            : value;
  }
  return { kind: "create", flags: flags as Flags };
}

/** parseArgs' errors span several lines; keep the first, and point at --help. */
function argumentProblem(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(message ?? "")?.[1] ?? "option";
    const guess = closestOption(option);
    const hint = guess === undefined ? "" : `did you mean --${guess}? `;
    return `unknown option ${option}; ${hint}run create-telestion-service --help to see the options`;
  }
  const first = (message ?? String(error)).split("\n")[0]?.replace(/\.$/, "");
  return `${first}; run create-telestion-service --help for usage`;
}

/** The known long option nearest to a mistyped `--option` (at most two edits away), if any. */
function closestOption(option: string): string | undefined {
  if (!option.startsWith("--")) return undefined;
  const typed = option.slice(2);
  let best: { name: string; distance: number } | undefined;
  for (const name of Object.keys(OPTIONS)) {
    const distance = editDistance(typed, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/**
 * Levenshtein distance (insertions, deletions, substitutions), one row at a time. Ten lines for
 * option names of a few characters; not worth a dependency in the bundled CLI.
 */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The --help text: every option with its default. */
export function helpText(setting: Setting): string {
  const column = (usage: string, lines: string[]) =>
    lines.map((line, index) => `  ${(index === 0 ? usage : "").padEnd(25)}${line}`.trimEnd()).join("\n");
  const options = Object.values(QUESTIONS).flatMap(({ help }) => {
    if (!help) return [];
    const [usage, ...lines] = help(setting);
    return [column(usage, lines)];
  });
  return `Usage: create-telestion-service [directory] [options]

Creates a Telestion service (TypeScript, NATS, telestion-runtime) in <directory>
(default: ${QUESTIONS.directory.initial({}, setting)}), which must not exist or must be empty (a lone .git is fine).
Run inside a project made with --project, it adds the service to that project, in
services/<directory>/, and registers it in the workspace, compose.yaml and deploy/kubernetes/.
What the options leave open is asked when stdin is a terminal; without a terminal,
or with --yes, the defaults are used.

Options:
${options.join("\n")}
${column("--project", ["a project for several services: the root (compose, NATS,", "log sink, Kubernetes base, workspace) with this service", "in services/<name>/; run again inside it to add one"])}
${column("-y, --yes", ["ask nothing: defaults for everything not given"])}
${column("-h, --help", ["show this help"])}
${column("-v, --version", ["print the version"])}

Examples:
  npm create telestion-service@latest my-service
  npm create telestion-service@latest my-service -- --subscribe 'telemetry.>' --reply 'time.now'
  npx create-telestion-service my-service --no-install --no-git --yes
`;
}
