import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { UserError } from "./errors.js";
import { localRuntime } from "./runtime-spec.js";

/** The project folder a local telestion-runtime is copied into; package.json points there. */
export const VENDOR_DIR = "vendor";

/**
 * A runtime given as a local tarball or directory arrives here as an absolute `file:` spec
 * (runtime-spec.ts). An absolute path is useless in the project: it is outside the Docker build context and
 * gone after a `git clone` elsewhere. So the tarball is copied into `project/vendor/` (a directory is
 * packed there with `npm pack`, which runs its prepack build) and the spec becomes the relative
 * `file:vendor/<tarball>`. Any other spec (a version range, an already relative `file:`) is returned as is.
 */
export async function vendorRuntime(spec: string, project: string): Promise<string> {
  const path = localRuntime(spec);
  if (path === undefined) return spec;
  const dest = join(project, VENDOR_DIR);
  await mkdir(dest, { recursive: true });
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    throw new UserError(`--runtime ${path} does not exist; give an existing directory or tarball, or a version range`);
  }
  const tarball = isDirectory ? await pack(path, dest) : await copy(path, dest);
  return `file:${VENDOR_DIR}/${tarball}`;
}

async function copy(tarball: string, dest: string): Promise<string> {
  const name = basename(tarball);
  await copyFile(tarball, join(dest, name));
  return name;
}

/** `npm pack` of the package in `dir` into the empty folder `dest`; resolves to the tarball's name. */
async function pack(dir: string, dest: string): Promise<string> {
  try {
    await promisify(execFile)("npm", ["pack", "--pack-destination", dest], {
      cwd: dir,
      shell: process.platform === "win32", // npm is npm.cmd there
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new UserError(`could not pack the runtime in ${dir} with npm pack (${npmReason(stderr ?? message)}); pack it yourself and give the tarball to --runtime`);
  }
  const tarballs = (await readdir(dest)).filter((name) => name.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new UserError(`npm pack in ${dir} wrote no tarball; pack it yourself and give the tarball to --runtime`);
  return tarballs[0]!;
}

/** The telling line of npm's error output: not its code, path or log file lines. */
function npmReason(output: string): string {
  const lines = output.split("\n").map((line) => line.replace(/^npm (error|ERR!)\s*/, "").trim());
  const telling = lines.filter((line) => line !== "" && !/^(code|syscall|path|errno) |^A complete log/.test(line));
  return telling[0] ?? lines.find(Boolean) ?? "no output";
}
