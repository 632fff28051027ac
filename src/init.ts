import { join, relative, resolve } from "node:path";
import { SERVICES_DIR } from "../generators/project.js";
import { addService, findProject, serviceFolderProblem, type Project } from "./add-service.js";
import { resolveAnswers, type Answers } from "./answers.js";
import { helpText, parseCommandLine } from "./args.js";
import { CancelledError, UserError } from "./errors.js";
import { cdCommand, finish, installDependencies, installFailure, nextSteps, type FinishIo } from "./finish.js";
import { generate } from "./generate.js";
import { managerVersion } from "./manager-version.js";
import { QUESTIONS } from "./questions.js";
import { ownPackage } from "./own-package.js";
import { detectPackageManager } from "../generators/package-manager.js";
import { unscopedName } from "../generators/service.js";

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

    // Inside a project made with --project, the service is added to it (src/add-service.ts), with
    // the project's package manager.
    const project = findProject(io.cwd);
    const { flags } = command;
    if (project && flags.project) {
      throw new UserError(`${project.root} is already a Telestion project; leave out --project to add a service to it in ${SERVICES_DIR}/`);
    }
    if (project && flags.packageManager !== undefined && flags.packageManager !== project.packageManager) {
      throw new UserError(`the Telestion project at ${project.root} uses ${project.packageManager}; leave out --package-manager (or give ${project.packageManager}) to add a service to it`);
    }
    if (project) {
      flags.packageManager = project.packageManager;
      // The argument names the service's folder below services/, checked there (not in the cwd).
      const folder = flags.directory ?? QUESTIONS.directory.initial({}, { cwd: io.cwd, packageManager: project.packageManager, version });
      const problem = serviceFolderProblem(folder, project);
      if (problem) throw new UserError(problem);
      flags.directory = join(project.root, SERVICES_DIR, folder);
    }

    // 2. Complete, validated answers: flags, then questions (or defaults) for the rest.
    const warn = (line: string) => io.stderr(`${line}\n`);
    const answers = await resolveAnswers(flags, { cwd: io.cwd, interactive: io.interactive, userAgent, version, warn });
    const packageManagerVersion = managerVersion(answers.packageManager, io.env);
    if (project) return await addToProject(answers, project, packageManagerVersion, io);

    // 3. Every file, or none: generate() builds in a temporary directory and moves it into place.
    const targetDir = resolve(io.cwd, answers.directory);
    const folder = flags.project ? unscopedName(answers.name) : undefined;
    const files = await generate(answers, targetDir, { packageManagerVersion, ...(folder ? { project: { folder } } : {}) });
    io.stdout(
      folder
        ? `\nCreated a Telestion project in ${targetDir} (${files.length} files): ${answers.name} in ${SERVICES_DIR}/${folder}/, registered in the workspace, compose.yaml and deploy/kubernetes/. Run create-telestion-service inside it to add another service.\n`
        : `\nCreated ${answers.name} in ${targetDir} (${files.length} files).\n`,
    );

    // 4. Install, git, next steps.
    const log = (text: string) => io.stdout(`${text}\n`);
    const outcome = await finish(answers, targetDir, { cwd: io.cwd, env: io.env, log, warn }, folder && `${SERVICES_DIR}/${folder}`);
    return outcome.install === "failed" ? 1 : 0;
  } catch (error) {
    if (error instanceof CancelledError) io.stderr("Cancelled\n");
    else if (error instanceof UserError) io.stderr(`error: ${error.message}\n`);
    else io.stderr(`error: ${io.env.DEBUG ? String((error as Error).stack) : String((error as Error).message ?? error)}\n`);
    return 1;
  }
}

/**
 * Steps 3 and 4 inside a project: the service goes to services/<directory>/ and is registered; the
 * install runs at the project's root (one lockfile for all services); git is left to the user, whose
 * project it is.
 */
async function addToProject(answers: Answers, project: Project, packageManagerVersion: string | undefined, io: Io): Promise<number> {
  const added = await addService(answers, project.root, { packageManagerVersion });
  const serviceDir = join(project.root, added.serviceDir);
  io.stdout(
    `\nAdded ${answers.name} to the Telestion project at ${project.root}: ${added.files.length} files in ${added.serviceDir}/ and deploy/kubernetes/; registered in ${added.registered.join(", ")}.\n`,
  );
  const finishIo: FinishIo = { cwd: io.cwd, env: io.env, log: (text) => io.stdout(`${text}\n`), warn: (line) => io.stderr(`${line}\n`) };
  const cd = cdCommand(relative(io.cwd, serviceDir) || ".", serviceDir, io.cwd);
  const failure = answers.install ? await installDependencies(answers, project.root, finishIo) : undefined;
  if (failure === undefined) finishIo.log(nextSteps(answers, cd, answers.install));
  else finishIo.warn(installFailure(answers, serviceDir, cdCommand(project.root, project.root, io.cwd), failure));
  return failure === undefined ? 0 : 1;
}
