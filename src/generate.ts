import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { listFiles } from "../generators/list-files.js";
import { newProjectFiles, SERVICES_DIR } from "../generators/project.js";
import { serviceFiles } from "../generators/service.js";
import { writeFiles } from "../generators/write-files.js";
import type { Answers } from "./answers.js";
import { UserError } from "./errors.js";
import { directoryProblem } from "./validate.js";
import { vendorRuntime } from "./vendor-runtime.js";

/** What generation learns from the machine rather than from the answers. */
export interface Found {
  /** The version of the chosen package manager (src/manager-version.ts), recorded for the image. */
  packageManagerVersion?: string;
  /**
   * `--project`: a multi-service project whose first service goes to services/<folder>/ (its folder's
   * name is `folder`); without it, the standalone single-service project.
   */
  project?: { folder: string };
}

/**
 * Writes a new service into `targetDir` (absolute) and resolves to the paths written, relative and
 * sorted. Everything is rendered into a temporary folder beside the target (so moving it is a rename
 * on one file system) and moved into place only when every file was written: on failure nothing is
 * left behind. Refuses a target that exists and is not empty; a lone `.git` is kept and filled around.
 * The file system calls are synchronous: a few dozen small ones, where the first asynchronous one
 * would start libuv's thread pool (~2 ms, half as long as writing all files; bench/ benchmark 1).
 */
export async function generate(answers: Answers, targetDir: string, found: Found = {}): Promise<string[]> {
  if (!isAbsolute(targetDir)) throw new Error(`generate() needs an absolute target directory, got "${targetDir}"`);
  assertUsable(targetDir);
  const createdParent = createParents(dirname(targetDir));
  let staging: string | undefined;
  const stopCleaningOnSignal = cleanUpOnSignal(() => staging, targetDir, createdParent);
  try {
    // mkdir, not mkdtemp: mkdtemp makes the folder 0700, and the rename would keep that mode for the
    // user's project; mkdir applies the umask like any folder the user makes.
    // Math.random, not node:crypto, whose loading alone costs milliseconds (bench/ benchmark 1); mkdir
    // fails on the unlikely name that exists, and the run with it.
    staging = join(dirname(targetDir), `.${basename(targetDir)}-${Math.random().toString(36).slice(2, 10)}`);
    mkdirSync(staging);
    // A local runtime is copied into the service's folder (vendor/), so package.json can point at it relatively.
    const { project, ...facts } = found;
    const serviceDir = project && `${SERVICES_DIR}/${project.folder}`;
    const runtime = await vendorRuntime(answers.runtime, serviceDir ? join(staging, serviceDir) : staging);
    const input = { ...answers, ...facts, runtime };
    writeFiles(staging, serviceDir ? await newProjectFiles({ ...input, serviceDir }, targetDir) : serviceFiles(input));
    await signalsHandled();
    const files = listFiles(staging);
    assertUsable(targetDir); // again: time passed while rendering
    moveIntoPlace(staging, targetDir);
    return files;
  } catch (err) {
    if (createdParent) rmSync(createdParent, { recursive: true, force: true });
    throw err;
  } finally {
    stopCleaningOnSignal();
    // Gone after a rename; checked first, since rm's recursive removal takes a module of its own to load.
    if (staging && existsSync(staging)) rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Ctrl-C (or SIGTERM) while files are written: remove the staging folder, and the parents this run
 * created unless the project already moved into them, then die of the signal as usual. Returns the
 * function that removes the handlers again.
 */
function cleanUpOnSignal(staging: () => string | undefined, targetDir: string, createdParent: string | undefined): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    const folder = staging();
    if (folder) rmSync(folder, { recursive: true, force: true });
    if (createdParent && !existsSync(targetDir)) rmSync(createdParent, { recursive: true, force: true });
    stop();
    process.kill(process.pid, signal);
  };
  const stop = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return stop;
}

/**
 * The files are written synchronously, so the signal handlers of a Ctrl-C meanwhile have not run yet:
 * Node runs them when the event loop polls. Two turns of setImmediate include a poll phase (the first
 * may come right before one), so a Ctrl-C while writing stops the run before anything moves into place.
 */
async function signalsHandled(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Throws unless `dir` is absent, empty, or holds nothing but `.git`: the CLI's own rule (validate.ts). */
function assertUsable(dir: string): void {
  const problem = directoryProblem(dir, dirname(dir));
  if (problem) throw new UserError(problem);
}

/** Creates `dir` and its missing ancestors; returns the topmost one created, to undo on failure. */
function createParents(dir: string): string | undefined {
  let topmost: string | undefined;
  for (let d = dir; !existsSync(d); d = dirname(d)) topmost = d;
  if (topmost) mkdirSync(dir, { recursive: true });
  return topmost;
}

/**
 * A missing target is the staging folder renamed. An existing one (empty, or only `.git`) is kept — it
 * may be the user's working directory — and the entries move in one by one; if one fails, the ones
 * already moved are taken out again.
 */
function moveIntoPlace(staging: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(staging, target);
    return;
  }
  const moved: string[] = [];
  try {
    for (const name of readdirSync(staging)) {
      renameSync(join(staging, name), join(target, name));
      moved.push(join(target, name));
    }
  } catch (err) {
    for (const path of moved) rmSync(path, { recursive: true, force: true });
    throw err;
  }
}
