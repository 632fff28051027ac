import { parseArgs } from "node:util";
import type { Flags } from "./answers.js";
import { DEFAULTS } from "./defaults.js";
import { UserError } from "./errors.js";
import { PACKAGE_MANAGERS } from "../generators/package-manager.js";
import { splitSubjects } from "./validate.js";

export type Command = { kind: "help" } | { kind: "version" } | { kind: "create"; flags: Flags };

const OPTIONS = {
  name: { type: "string" },
  description: { type: "string" },
  subscribe: { type: "string", multiple: true },
  reply: { type: "string", multiple: true },
  // Node 20's parseArgs has no negated booleans, so --no-x is an option of its own.
  install: { type: "boolean" },
  "no-install": { type: "boolean" },
  git: { type: "boolean" },
  "no-git": { type: "boolean" },
  "package-manager": { type: "string" },
  runtime: { type: "string" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

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
  const last = (yes: string, no: string) => given.findLast((name) => name === yes || name === no);
  const lastInstall = last("install", "no-install");
  const lastGit = last("git", "no-git");
  return {
    kind: "create",
    flags: {
      directory: positionals[0],
      name: values.name,
      description: values.description,
      subscribe: values.subscribe && splitSubjects(values.subscribe),
      reply: values.reply && splitSubjects(values.reply),
      install: lastInstall === undefined ? undefined : lastInstall === "install",
      git: lastGit === undefined ? undefined : lastGit === "git",
      packageManager: values["package-manager"],
      runtime: values.runtime,
      yes: values.yes ?? false,
    },
  };
}

/** parseArgs' errors span several lines; keep the first, and point at --help. */
function argumentProblem(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(message ?? "")?.[1] ?? "option";
    return `unknown option ${option}; run create-telestion-service --help to see the options`;
  }
  const first = (message ?? String(error)).split("\n")[0]?.replace(/\.$/, "");
  return `${first}; run create-telestion-service --help for usage`;
}

/** The --help text: every option with its default. */
export function helpText(defaults: { packageManager: string; runtime: string }): string {
  return `Usage: create-telestion-service [directory] [options]

Creates a Telestion service (TypeScript, NATS, telestion-runtime) in <directory>
(default: ${DEFAULTS.directory}), which must not exist or must be empty (a lone .git is fine).
What the options leave open is asked when stdin is a terminal; without a terminal,
or with --yes, the defaults are used.

Options:
  --name <name>            npm package name, also the default SERVICE_NAME
                           default: the directory's name
  --description <text>     one line for package.json and the README
                           default: "${DEFAULTS.description}"
  --subscribe <subject>    a subject to subscribe to in queue group SERVICE_NAME; the
                           wildcards * and > are allowed; repeat, or separate with commas
                           default: ${DEFAULTS.subscribe.join(", ")} (--subscribe "" for none)
  --reply <subject>        a subject to answer requests on, without wildcards; repeat,
                           or separate with commas
                           default: ${DEFAULTS.reply.join(", ")} (--reply "" for none)
  --install, --no-install  install dependencies after generating
                           default: --install
  --git, --no-git          git init and a first commit (skipped inside a git repository)
                           default: --git
  --package-manager <pm>   ${PACKAGE_MANAGERS.join(", ")}: installs, and appears in the next steps
                           default: from npm_config_user_agent, else npm (now: ${defaults.packageManager})
  --runtime <spec>         the telestion-runtime dependency: a version range, or a local
                           directory or tarball (written as file:<absolute path>)
                           default: ${defaults.runtime}
  -y, --yes                ask nothing: defaults for everything not given
  -h, --help               show this help
  -v, --version            print the version

Examples:
  npm create telestion-service@latest my-service
  npm create telestion-service@latest my-service -- --subscribe 'telemetry.>' --reply 'time.now'
  npx create-telestion-service my-service --no-install --no-git --yes
`;
}
