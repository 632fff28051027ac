import { DEFAULTS, defaultName, defaultRuntime } from "./defaults.js";
import { detectPackageManager, type PackageManager } from "../generators/package-manager.js";
import { localRuntimePath, validateAnswers } from "./validate.js";

/**
 * The complete, validated answers that generation needs. Produced from flags (and prompts for
 * what flags leave open); validation lives in one place and serves both paths.
 */
export interface Answers {
  /** Target directory as the user gave it (relative to cwd, or absolute). */
  directory: string;
  /** npm package name of the generated service; also its default SERVICE_NAME. */
  name: string;
  description: string;
  /** Subjects to subscribe to (queue group = SERVICE_NAME); wildcards allowed. */
  subscribe: string[];
  /** Subjects to answer requests on; no wildcards. */
  reply: string[];
  install: boolean;
  git: boolean;
  packageManager: PackageManager;
  /** The dependency spec written for telestion-runtime (a version range, a path or a tarball). */
  runtime: string;
}

/** What the command line said; undefined means "not given". Values are not validated yet. */
export interface Flags {
  directory?: string;
  name?: string;
  description?: string;
  subscribe?: string[];
  reply?: string[];
  install?: boolean;
  git?: boolean;
  packageManager?: string;
  runtime?: string;
  /** Never ask: defaults for everything not given. */
  yes: boolean;
}

export interface Context {
  cwd: string;
  /** Questions can be asked: stdin is a terminal. */
  interactive: boolean;
  /** `npm_config_user_agent`, which tells the package manager that launched us. */
  userAgent: string | undefined;
  /** This package's version: the default runtime dependency is ^version. */
  version: string;
  /** Prints one line for the user (stderr). */
  warn: (line: string) => void;
}

/**
 * Flags → complete, validated Answers. Given flags are checked first; the rest is asked when there
 * is a terminal and no --yes, else taken from the defaults, saying so when nobody asked for that.
 * Throws UserError on invalid input and CancelledError when a prompt is cancelled.
 */
export async function resolveAnswers(flags: Flags, context: Context): Promise<Answers> {
  const { cwd } = context;
  const known: Partial<Answers> = {
    directory: flags.directory,
    name: flags.name,
    description: flags.description,
    subscribe: flags.subscribe,
    reply: flags.reply,
    install: flags.install,
    git: flags.git,
    packageManager: (flags.packageManager as PackageManager | undefined) ?? detectPackageManager(context.userAgent),
    runtime: flags.runtime ?? defaultRuntime(context.version),
  };
  validateAnswers(known, cwd);
  const packageManager = known.packageManager as PackageManager;
  const runtime = runtimeDependency(known.runtime as string, cwd);

  const open = (Object.keys(known) as (keyof Answers)[]).filter((key) => known[key] === undefined);
  if (open.length > 0 && !flags.yes && context.interactive) {
    // Loaded only when there is someone to ask: `--yes` and scripted runs never pay for prompts.
    const { ask } = await import("./prompt.js");
    const answers: Answers = { ...(await ask(known, cwd, packageManager)), packageManager, runtime };
    validateAnswers(answers, cwd);
    return answers;
  }
  if (open.length > 0 && !flags.yes) {
    context.warn(
      `stdin is not a terminal: using the defaults for ${open.join(", ")} (give them as options, or --yes to silence this)`,
    );
  }
  const answers = { ...withDefaults(known, cwd), packageManager, runtime };
  validateAnswers(answers, cwd);
  return answers;
}

/** Fills every open question with its default. */
function withDefaults(known: Partial<Answers>, cwd: string): Omit<Answers, "packageManager" | "runtime"> {
  const directory = known.directory ?? DEFAULTS.directory;
  return {
    directory,
    name: known.name ?? defaultName(directory, cwd),
    description: known.description ?? DEFAULTS.description,
    subscribe: known.subscribe ?? [...DEFAULTS.subscribe],
    reply: known.reply ?? [...DEFAULTS.reply],
    install: known.install ?? DEFAULTS.install,
    git: known.git ?? DEFAULTS.git,
  };
}

/**
 * The spec as written into the generated package.json. A local directory or tarball becomes an
 * absolute `file:` spec, because the generated project lives somewhere else than the cwd that a
 * relative path was meant from.
 */
export function runtimeDependency(spec: string, cwd: string): string {
  const path = localRuntimePath(spec, cwd);
  return path === undefined ? spec : `file:${path}`;
}
