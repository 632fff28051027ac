import { spawn } from "node:child_process";
import { isAbsolute, join, relative } from "node:path";
import type { Answers } from "./answers.js";
import { installCommand, installEnv, runCommand } from "../generators/package-manager.js";
import { shellQuote } from "../generators/shell-quote.js";
import { tryItCommands } from "../generators/try-it.js";

export interface FinishIo {
  /** Where the user ran the command; the "cd" in the next steps is relative to it. */
  cwd: string;
  /** Environment for the package manager and git (PATH, git identity, npm config). */
  env: NodeJS.ProcessEnv;
  /** Progress and the next steps (stdout). */
  log: (text: string) => void;
  /** Problems (stderr). */
  warn: (text: string) => void;
}

export type InstallOutcome = "installed" | "skipped" | "failed";
export type GitOutcome = "committed" | "no-commit" | "skipped" | "no-git" | "inside-repository" | "failed";

export const COMMIT_MESSAGE = "Initial commit from create-telestion-service";

/**
 * The steps after generation: install, git, then the next steps. Only a failed install makes the
 * run fail (the project cannot run without it): then the last line says what failed, where the
 * files are and what to run, and nothing calls the project ready. Git trouble is reported and the
 * project kept.
 */
export async function finish(
  answers: Answers,
  targetDir: string,
  io: FinishIo,
  /** In a `--project`, the first service's folder (services/<name>): the next steps start there. */
  serviceDir?: string,
): Promise<{ install: InstallOutcome; git: GitOutcome }> {
  const cd = serviceDir ? cdCommand(join(answers.directory, serviceDir), join(targetDir, serviceDir), io.cwd) : cdCommand(answers.directory, targetDir, io.cwd);
  const failure = answers.install ? await installDependencies(answers, targetDir, io) : undefined;
  const install: InstallOutcome = !answers.install ? "skipped" : failure === undefined ? "installed" : "failed";
  // After the install, so that the first commit includes the lockfile it wrote.
  const git = answers.git ? await initGit(targetDir, io) : "skipped";
  if (failure === undefined) io.log(nextSteps(answers, cd, install === "installed"));
  else io.warn(installFailure(answers, targetDir, cd, failure));
  return { install, git };
}

/** Why an install failed, as said in the middle of the final error line. */
export type InstallFailure =
  | { kind: "not-started"; message: string }
  | { kind: "runtime-not-found" }
  | { kind: "exit"; status: string };

/**
 * Installs with the chosen package manager, its output shown as it happens (and kept, to recognise
 * a runtime that is not on the registry). Resolves to undefined on success, else to why it failed.
 */
export async function installDependencies(answers: Answers, targetDir: string, io: FinishIo): Promise<InstallFailure | undefined> {
  const command = installCommand(answers.packageManager);
  io.log(`\nInstalling dependencies: ${command.join(" ")}\n`);
  // Package managers are .cmd scripts on Windows, which only a shell can start.
  const env = { ...io.env, ...installEnv(answers.packageManager) };
  const result = await run(command, { cwd: targetDir, env, stdio: "tee", shell: process.platform === "win32" });
  if (result.code === 0) return undefined;
  if (result.error) return { kind: "not-started", message: result.error.message };
  if (runtimeNotFound(result.output)) return { kind: "runtime-not-found" };
  return { kind: "exit", status: result.signal ? `killed by ${result.signal}` : `exit code ${result.code}` };
}

/**
 * Whether a package manager's output says the registry has no telestion-runtime (or no version
 * of it that matches). Each manager words it differently, always on one line naming the package:
 *   npm   "npm error 404 Not Found - GET https://registry.npmjs.org/telestion-runtime"
 *   pnpm  "GET https://registry.npmjs.org/telestion-runtime: Not Found - 404"
 *   yarn  'error Couldn't find package "telestion-runtime" on the "npm" registry.'
 *   bun   "error: GET https://registry.npmjs.org/telestion-runtime - 404"
 */
export function runtimeNotFound(output: string): boolean {
  return output
    .split("\n")
    .some((line) => /telestion-runtime\b/.test(line) && /\b404\b|not found|couldn't find|no matching version|ETARGET/i.test(line));
}

/** The one line that ends a run whose install failed: what failed, where the files are, what to run. */
export function installFailure(answers: Answers, targetDir: string, cd: string | undefined, failure: InstallFailure): string {
  const command = installCommand(answers.packageManager).join(" ");
  const then = `then run: ${[cd, command].filter(Boolean).join(" && ")}`;
  const files = `${answers.name} was generated in ${targetDir} but its dependencies are not installed`;
  switch (failure.kind) {
    case "not-started":
      return `error: could not start ${command} (${failure.message}). ${files}; install ${answers.packageManager}, ${then}`;
    case "runtime-not-found":
      return `error: "${command}" failed because telestion-runtime ${answers.runtime} is not on the package registry. ${files}; point "telestion-runtime" in its package.json at a telestion-runtime tarball or directory (what --runtime <path> does when generating), ${then}`;
    case "exit":
      return `error: "${command}" failed (${failure.status}; its output is above). ${files}; fix what it reports, ${then}`;
  }
}

/**
 * `git init` and a first commit, unless git is missing or the target already belongs to a
 * repository (checked from the target itself: an outer repository or a `.git` that was already
 * there both mean the user manages git there). A commit that fails, typically because git has no
 * user.name/user.email, leaves the repository in place and is reported, not fatal.
 */
export async function initGit(targetDir: string, io: FinishIo): Promise<GitOutcome> {
  const git = (...args: string[]) => run(["git", ...args], { cwd: targetDir, env: io.env, stdio: "pipe", shell: false });
  if ((await git("--version")).code !== 0) {
    io.log("git was not found: skipped initialising a repository.");
    return "no-git";
  }
  if ((await git("rev-parse", "--is-inside-work-tree")).code === 0) {
    io.log("The directory is already inside a git repository: skipped git init.");
    return "inside-repository";
  }
  const init = await git("init");
  if (init.code !== 0) {
    io.warn(`warning: git init failed (${firstLine(init.output)}); the service was generated without a repository.`);
    return "failed";
  }
  const commit = await git("add", "-A").then((add) => (add.code === 0 ? git("commit", "-m", COMMIT_MESSAGE) : add));
  if (commit.code !== 0) {
    const identity = /tell me who you are|auto-detect|no (email|name) was given|empty ident/i.test(commit.output);
    io.warn(
      identity
        ? 'warning: initialised a git repository but made no commit, because git has no user.name/user.email; set them with git config --global user.name "Your Name" and git config --global user.email "you@example.com", then commit.'
        : `warning: initialised a git repository but the first commit failed (${firstLine(commit.output)}); commit yourself.`,
    );
    return "no-commit";
  }
  io.log("Initialised a git repository with a first commit.");
  return "committed";
}

/** The closing message: exactly the commands to type next, then how to talk to the running service. */
export function nextSteps(answers: Answers, cd: string | undefined, installed: boolean): string {
  const commands = [
    cd,
    installed ? undefined : installCommand(answers.packageManager).join(" "),
    runCommand(answers.packageManager, "dev").join(" "),
  ].filter((command): command is string => command !== undefined);
  const tryIt = tryItCommands(answers.subscribe, answers.reply, answers.packageManager).map(({ command }) => `  ${command}`);
  return [
    `\nDone: ${answers.name} is ready. Next steps:\n`,
    ...commands.map((command) => `  ${command}`),
    "\nThe service needs NATS on localhost:4222 (WebSocket on 9222 for the frontend).",
    "Start it first, in the project: nats-server -c nats/nats-dev.conf",
    "Then, from other terminals (the log sink keeps running in its own):\n",
    ...tryIt,
    `\n${runCommand(answers.packageManager, "test").join(" ")} runs its tests, ${runCommand(answers.packageManager, "check").join(" ")} checks it against the`,
    "Telestion standard; README.md covers configuration, builds, Docker, handlers.",
  ].join("\n");
}

/**
 * `cd <dir>` into the new project, or undefined when it is the current directory. The directory is
 * shown as the user gave it: relative paths relative to the cwd, absolute ones absolute.
 */
export function cdCommand(directory: string, targetDir: string, cwd: string): string | undefined {
  const shown = isAbsolute(directory) ? targetDir : relative(cwd, targetDir);
  return shown === "" ? undefined : `cd ${shellQuote(shown)}`;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr together, when piped. */
  output: string;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  error?: Error;
}

/** Output kept of one command: enough for the lines around an error, bounded for chatty installs. */
const KEPT_OUTPUT = 256 * 1024;

/**
 * Runs a command to completion; never rejects. "tee" shows its output as it comes and keeps it too
 * (the manager then sees pipes, not a terminal: fewer colours and spinners, the same messages).
 */
function run(
  command: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdio: "tee" | "pipe"; shell: boolean },
): Promise<RunResult> {
  const [file = "", ...args] = command;
  const tee = options.stdio === "tee";
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...options, stdio: [tee ? "inherit" : "pipe", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-KEPT_OUTPUT));
    child.stdout!.on("data", (chunk: Buffer) => {
      keep(chunk);
      if (tee) process.stdout.write(chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      keep(chunk);
      if (tee) process.stderr.write(chunk);
    });
    child.on("error", (error) => resolve({ code: null, signal: null, output, error }));
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

function firstLine(text: string): string {
  return text.trim().split("\n").find((line) => line.trim() !== "")?.trim() ?? "no output";
}
