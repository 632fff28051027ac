import type { PackageManager } from "./answers.js";

export const PACKAGE_MANAGERS: readonly PackageManager[] = ["npm", "pnpm", "yarn", "bun"];

/** How each package manager installs a project's dependencies and runs one of its scripts. */
const COMMANDS: Record<PackageManager, { install: string[]; run: (script: string) => string[] }> = {
  npm: { install: ["npm", "install"], run: (script) => ["npm", "run", script] },
  pnpm: { install: ["pnpm", "install"], run: (script) => ["pnpm", script] },
  yarn: { install: ["yarn", "install"], run: (script) => ["yarn", script] },
  // `bun <name>` prefers bun's own subcommands over scripts of the same name, so say `run`.
  bun: { install: ["bun", "install"], run: (script) => ["bun", "run", script] },
};

export function isPackageManager(value: string): value is PackageManager {
  return (PACKAGE_MANAGERS as readonly string[]).includes(value);
}

/**
 * The package manager that launched us: `npm create`, `pnpm create`, `yarn create` and `bun create`
 * each set `npm_config_user_agent` to e.g. "pnpm/9.1.0 npm/? node/v20.11.0 linux x64".
 * Anything else, or nothing, means npm, which every Node installation has.
 */
export function detectPackageManager(userAgent: string | undefined): PackageManager {
  const name = userAgent?.trim().split(" ")[0]?.split("/")[0] ?? "";
  return isPackageManager(name) ? name : "npm";
}

/** argv of the install command, e.g. ["pnpm", "install"]. */
export function installCommand(pm: PackageManager): string[] {
  return [...COMMANDS[pm].install];
}

/** argv that runs a package.json script, e.g. ["npm", "run", "dev"]. */
export function runCommand(pm: PackageManager, script: string): string[] {
  return COMMANDS[pm].run(script);
}
