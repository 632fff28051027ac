import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { listFiles } from "../generators/list-files.js";
import { isPackageManager, workspaceList, type PackageManager } from "../generators/package-manager.js";
import { isProjectManifest, ProjectShapeError, registerService, serviceInProjectFiles, SERVICES_DIR } from "../generators/project.js";
import { kubernetesName, unscopedName } from "../generators/service.js";
import { writeFiles, type ProjectFile } from "../generators/write-files.js";
import type { Answers } from "./answers.js";
import { UserError } from "./errors.js";
import type { Found } from "./generate.js";
import { directoryProblem } from "./validate.js";
import { vendorRuntime } from "./vendor-runtime.js";

/** A project made by `create-telestion-service --project`, found from where the command runs. */
export interface Project {
  root: string;
  /** The manager its root was made for: the one file that lists its services says which. */
  packageManager: PackageManager;
}

/**
 * The project `cwd` is in: the nearest folder at or above it whose package.json carries the marker
 * `"telestion": { "project": … }`. Nothing else counts: a standalone service, or any other folder,
 * is not a project the generator adds to.
 */
export function findProject(cwd: string): Project | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, "package.json"));
    if (isProjectManifest(manifest)) return { root: dir, packageManager: projectManager(dir, manifest as Record<string, unknown>) };
    if (dirname(dir) === dir) return undefined;
  }
}

function readManifest(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined; // missing or not JSON: not a project's root
  }
}

/** pnpm's root has pnpm-workspace.yaml; the others say so in packageManager, or have their lockfile. */
function projectManager(root: string, manifest: Record<string, unknown>): PackageManager {
  if (existsSync(join(root, "pnpm-workspace.yaml"))) return "pnpm";
  const named = String(manifest.packageManager ?? "").split("@")[0] ?? "";
  if (isPackageManager(named)) return named;
  if (existsSync(join(root, "bun.lock"))) return "bun";
  if (existsSync(join(root, "yarn.lock")) || existsSync(join(root, ".yarnrc.yml"))) return "yarn";
  return "npm";
}

/** Inside a project, the positional argument is the new service's folder name below services/. */
export function serviceFolderProblem(directory: string, project: Project): string | undefined {
  if (/[\\/]/.test(directory) || directory === "." || directory === "..") {
    return `inside the Telestion project at ${project.root}, a new service goes to ${SERVICES_DIR}/<name>/: give just its folder name (got "${directory}")`;
  }
  return directoryProblem(join(project.root, SERVICES_DIR, directory), project.root);
}

/** What addService() wrote, for the CLI's message. */
export interface Added {
  serviceDir: string;
  files: string[];
  /** Root files changed, each with what was registered there. */
  registered: string[];
}

/**
 * Adds a service to the project at `root`: its files to services/<folder>/ (the folder: the last part
 * of `answers.directory`), and its registration in
 * the root's workspace list, compose.yaml and deploy/kubernetes/. All or nothing: everything is
 * rendered and every root file parsed and edited in memory first; then the service's folder is
 * staged, the new root files written beside the old ones, and all moved into place, undone if a move
 * fails. A root file that is not what the generator wrote stops the run before anything is written.
 */
export async function addService(answers: Answers, root: string, found: Found = {}): Promise<Added> {
  const folder = basename(answers.directory);
  const serviceDir = `${SERVICES_DIR}/${folder}`;
  const target = join(root, serviceDir);
  const problem = directoryProblem(target, root);
  if (problem) throw new UserError(problem);

  const { project: _, ...facts } = found;
  const input = { ...answers, ...facts, serviceDir };
  const deployment = `deploy/kubernetes/services/${kubernetesName(unscopedName(answers.name))}.yaml`;
  const paths = [workspaceList(answers.packageManager).file, "compose.yaml", "deploy/kubernetes/kustomization.yaml", deployment];
  const current = new Map(paths.flatMap((path) => (existsSync(join(root, path)) ? [[path, readFileSync(join(root, path), "utf8")] as const] : [])));

  const staging = join(root, SERVICES_DIR, `.${folder}-${Math.random().toString(36).slice(2, 10)}`);
  const written: string[] = [];
  let moved = false;
  try {
    // First, before anything is written: a root file the generator did not write stops the run here.
    const { changed, added } = await register(current, input);
    mkdirSync(staging, { recursive: true });
    const runtime = await vendorRuntime(answers.runtime, staging);
    writeFiles(staging, serviceInProjectFiles({ ...input, runtime }));
    const files = listFiles(staging).map((file) => `${serviceDir}/${file}`);
    // The root's new files, beside the old ones: the renames below are all that is left to fail.
    const next = [...changed, ...added].map((file) => ({ ...file, temp: join(root, `${file.path}.${Math.random().toString(36).slice(2, 10)}.tmp`) }));
    for (const file of next) {
      mkdirSync(dirname(file.temp), { recursive: true });
      writeFileSync(file.temp, file.content, { flag: "wx" });
      written.push(file.temp);
    }
    if (directoryProblem(target, root)) throw new UserError(directoryProblem(target, root)!); // again: time passed
    renameSync(staging, target);
    moved = true;
    const replaced: ProjectFile[] = [];
    try {
      for (const file of next) {
        renameSync(file.temp, join(root, file.path));
        replaced.push(file);
      }
    } catch (err) {
      for (const file of replaced) {
        const before = current.get(file.path);
        if (before === undefined) rmSync(join(root, file.path), { force: true });
        else writeFileSync(join(root, file.path), before);
      }
      throw err;
    }
    return { serviceDir, files: [...files, ...added.map((file) => file.path)].sort(), registered: registeredIn(changed.map((file) => file.path), input.name, deployment) };
  } catch (err) {
    if (moved) rmSync(target, { recursive: true, force: true });
    throw err;
  } finally {
    for (const temp of written) rmSync(temp, { force: true });
    if (existsSync(staging)) rmSync(staging, { recursive: true, force: true });
  }
}

/** registerService, its one-line refusals as the CLI's. */
async function register(files: ReadonlyMap<string, string>, input: Parameters<typeof registerService>[1]) {
  try {
    return await registerService(files, input);
  } catch (err) {
    if (err instanceof ProjectShapeError) throw new UserError(err.message);
    if (err instanceof SyntaxError) throw new UserError(`package.json of the project is not valid JSON (${err.message}); fix it to add a service`);
    throw err;
  }
}

function registeredIn(changed: string[], name: string, deployment: string): string[] {
  return changed.map((path) =>
    path === "compose.yaml"
      ? `compose.yaml (service "${kubernetesName(unscopedName(name))}")`
      : path === "deploy/kubernetes/kustomization.yaml"
        ? `deploy/kubernetes/kustomization.yaml (${relative("deploy/kubernetes", deployment)} and its image)`
        : `${path} (the workspace)`,
  );
}
