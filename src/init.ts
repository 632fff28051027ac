import { resolve } from "node:path";
import { resolveAnswers } from "./answers.js";
import { helpText, parseCommandLine } from "./args.js";
import { CancelledError, UserError } from "./errors.js";
import { finish } from "./finish.js";
import { generate } from "./generate.js";
import { managerVersion } from "./manager-version.js";
import { ownPackage } from "./own-package.js";
import { detectPackageManager } from "../generators/package-manager.js";

/** The outside world of one run, passed in so that tests can run the whole flow in-process. */
export interface Io {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether stdin is a terminal, i.e. whether questions can be asked. */
  interactive: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * One `npm create telestion-service`, top to bottom: command line → answers → generate → finish.
 * Returns the exit code; every failure the user can act on is one line on stderr.
 */
export async function init(argv: string[], io: Io): Promise<number> {
  const { version } = ownPackage();
  const userAgent = io.env.npm_config_user_agent;
  try {
    // 1. The command line: options are parsed, not yet validated.
    const command = parseCommandLine(argv);
    if (command.kind === "help") {
      io.stdout(helpText({ cwd: io.cwd, packageManager: detectPackageManager(userAgent), version }));
      return 0;
    }
    if (command.kind === "version") {
      io.stdout(`${version}\n`);
      return 0;
    }

    // 2. Complete, validated answers: flags, then questions (or defaults) for the rest.
    const warn = (line: string) => io.stderr(`${line}\n`);
    const answers = await resolveAnswers(command.flags, { cwd: io.cwd, interactive: io.interactive, userAgent, version, warn });

    // 3. Every file, or none: generate() builds in a temporary directory and moves it into place.
    const targetDir = resolve(io.cwd, answers.directory);
    const files = await generate(answers, targetDir, { packageManagerVersion: managerVersion(answers.packageManager, io.env) });
    io.stdout(`\nCreated ${answers.name} in ${targetDir} (${files.length} files).\n`);

    // 4. Install, git, next steps.
    const log = (text: string) => io.stdout(`${text}\n`);
    const outcome = await finish(answers, targetDir, { cwd: io.cwd, env: io.env, log, warn });
    return outcome.install === "failed" ? 1 : 0;
  } catch (error) {
    if (error instanceof CancelledError) io.stderr("Cancelled\n");
    else if (error instanceof UserError) io.stderr(`error: ${error.message}\n`);
    else io.stderr(`error: ${io.env.DEBUG ? String((error as Error).stack) : String((error as Error).message ?? error)}\n`);
    return 1;
  }
}
