import { existsSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, sep } from "node:path";
import nodePlop from "node-plop";
import { registerServiceGenerator, type GeneratorInput } from "../generators/service.js";
import type { Answers } from "./answers.js";
import { UserError } from "./errors.js";
import { listFiles } from "./list-files.js";
import { directoryProblem } from "./validate.js";
import { vendorRuntime } from "./vendor-runtime.js";

/**
 * Writes a new service into `targetDir` (absolute) and resolves to the paths written, relative and
 * sorted. Everything is rendered into a temporary folder beside the target (so moving it is a rename
 * on one file system) and moved into place only when every action succeeded: on failure nothing is
 * left behind. Refuses a target that exists and is not empty; a lone `.git` is kept and filled around.
 */
export async function generate(answers: Answers, targetDir: string): Promise<string[]> {
  if (!isAbsolute(targetDir)) throw new Error(`generate() needs an absolute target directory, got "${targetDir}"`);
  assertUsable(targetDir);
  const createdParent = await createParents(dirname(targetDir));
  let staging: string | undefined;
  const stopCleaningOnSignal = cleanUpOnSignal(() => staging, targetDir, createdParent);
  try {
    // mkdir, not mkdtemp: mkdtemp makes the folder 0700, and the rename would keep that mode for the
    // user's project; mkdir applies the umask like any folder the user makes.
    staging = join(dirname(targetDir), `.${basename(targetDir)}-${randomBytes(4).toString("hex")}`);
    await mkdir(staging);
    // A local runtime is copied into the project (vendor/), so package.json can point at it relatively.
    const runtime = await vendorRuntime(answers.runtime, staging);
    await render({ ...answers, runtime }, staging);
    const files = listFiles(staging);
    assertUsable(targetDir); // again: time passed while rendering
    await moveIntoPlace(staging, targetDir);
    return files;
  } catch (err) {
    if (createdParent) await rm(createdParent, { recursive: true, force: true });
    throw err;
  } finally {
    stopCleaningOnSignal();
    if (staging) await rm(staging, { recursive: true, force: true });
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

/** Throws unless `dir` is absent, empty, or holds nothing but `.git`: the CLI's own rule (validate.ts). */
function assertUsable(dir: string): void {
  const problem = directoryProblem(dir, dirname(dir));
  if (problem) throw new UserError(problem);
}

/** Creates `dir` and its missing ancestors; resolves to the topmost one created, to undo on failure. */
async function createParents(dir: string): Promise<string | undefined> {
  let topmost: string | undefined;
  for (let d = dir; !existsSync(d); d = dirname(d)) topmost = d;
  if (topmost) await mkdir(dir, { recursive: true });
  return topmost;
}

async function render(answers: Answers, dest: string): Promise<void> {
  const plop = await nodePlop(undefined, { destBasePath: dest, force: false });
  const generator = registerServiceGenerator(plop);
  const input: GeneratorInput = { answers };
  const { failures } = await generator.runActions(input);
  if (failures.length > 0) {
    const { path, error, message } = failures[0]!;
    // node-plop's messages name the temporary folder and span lines: one line, relative paths.
    const reason = String(error || message)
      .replaceAll(dest + sep, "")
      .replace(/\s*\n\s*(->\s*)?/g, ": ");
    throw new Error(`could not generate ${path ? path.replace(/^[/\\]/, "") : "the project"}: ${reason}`);
  }
}

/**
 * A missing target is the staging folder renamed. An existing one (empty, or only `.git`) is kept — it
 * may be the user's working directory — and the entries move in one by one; if one fails, the ones
 * already moved are taken out again.
 */
async function moveIntoPlace(staging: string, target: string): Promise<void> {
  if (!existsSync(target)) {
    await rename(staging, target);
    return;
  }
  const moved: string[] = [];
  try {
    for (const name of await readdir(staging)) {
      await rename(join(staging, name), join(target, name));
      moved.push(join(target, name));
    }
  } catch (err) {
    await Promise.all(moved.map((path) => rm(path, { recursive: true, force: true })));
    throw err;
  }
}
