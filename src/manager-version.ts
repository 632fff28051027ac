import { spawnSync } from "node:child_process";
import { isManagerVersion, userAgentVersion, type PackageManager } from "../generators/package-manager.js";

/** `pnpm --version` answers in ~0.3 s; a manager that hangs must not hold up the run. */
const VERSION_TIMEOUT_MS = 10_000;

/**
 * The version of the package manager that will write the project's lockfile, so that package.json
 * can record it (`packageManager`) and the image install exactly that version: the one that launched
 * us (`pnpm create` says it in npm_config_user_agent), else what `<pm> --version` prints. Undefined
 * for npm (whose lockfile any npm since 7 reads) and when the manager cannot say (not installed).
 */
export function managerVersion(pm: PackageManager, env: NodeJS.ProcessEnv): string | undefined {
  if (pm === "npm") return undefined;
  const launched = userAgentVersion(pm, env.npm_config_user_agent);
  if (launched) return launched;
  // Windows installs managers as .cmd shims, which only a shell runs.
  const result = spawnSync(pm, ["--version"], {
    encoding: "utf8",
    env,
    timeout: VERSION_TIMEOUT_MS,
    shell: process.platform === "win32",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const version = result.status === 0 ? result.stdout.trim() : undefined;
  return isManagerVersion(version) ? version : undefined;
}
