// The package manager versions the tests use (host-managers.json), each in a folder of its own under
// the user's cache, so that several versions of one manager live side by side and a test picks one
// by putting its folder first on PATH. Plain JavaScript: .ci/run installs them before `npm ci`.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const MANAGERS_DIR = join(homedir(), ".cache", "create-telestion-service", "managers");

/** @type {Array<{ pm: "pnpm" | "yarn" | "bun"; spec: string }>} */
export const HOST_MANAGERS = JSON.parse(readFileSync(new URL("./host-managers.json", import.meta.url), "utf8")).managers;

/** The folder with the manager's binary, e.g. …/managers/pnpm@9/node_modules/.bin. */
export function binDir(spec) {
  return join(MANAGERS_DIR, spec.replace(/[/@]/g, "_"), "node_modules", ".bin");
}

/** Whether `spec` is installed (its binary exists). */
export function isInstalled({ pm, spec }) {
  return existsSync(join(binDir(spec), pm));
}
