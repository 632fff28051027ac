export const PACKAGE_MANAGERS = ["npm", "pnpm", "yarn", "bun"] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/**
 * What the generated project needs from whichever manager installs it, written below in each
 * manager's own words:
 * - vite stays below 8.4.0 (vitest's dependency): 8.4.0 has an optional dependency
 *   (napi-windows-process-start-time) that is missing from the registry; npm ci and yarn fail on it.
 * - esbuild may run its install script (it checks its platform binary). pnpm 10+ fails the install
 *   on scripts nobody allowed, npm 11 skips them with a warning, bun and yarn 4 run only the ones
 *   allowed.
 */
const PINS = { vite: "~8.3.8" };
const BUILDS = ["esbuild"];

/**
 * The plop that `npm run generate` runs, in the one version the project's plopfile is written for. It is
 * no dependency of the project: about 110 packages (a third of an install) for an occasional command.
 * The package manager fetches it on the first run into its own cache, from the registry the installs
 * use, and runs the cached copy after that, offline too.
 */
export const PLOP = "plop@4.0.5";

/** Everything that differs between package managers, in one place. */
export interface PackageManagerFacts {
  /** argv that installs the project's dependencies. */
  install: string[];
  /** Environment for that first install, beside the user's. */
  installEnv: Record<string, string>;
  /** argv before a script's name that runs a package.json script. */
  run: string[];
  /** What goes between a script's name and arguments for the script itself (npm needs `--`). */
  scriptArgs: string[];
  /** argv before a dependency's binary that runs it, e.g. `npx tsc`. */
  exec: string[];
  /**
   * argv before a package spec that fetches it into the manager's cache (once) and runs its binary,
   * without making it a dependency: how `generate` runs plop. From `later.major` on, `later`'s.
   */
  dlx: { argv: string[]; later?: { major: number; argv: string[] } };
  /** Where the registry that installs and `dlx` fetch from is set, in the words of the generated README. */
  registrySetting: string;
  /** The lockfile the install writes. */
  lockfile: string;
  /** Top-level package.json fields the manager reads. */
  packageJson: Record<string, unknown>;
  /** Further files of the project (path → content) that hold the manager's settings. */
  files: Record<string, string>;
  /** Where the vite pin is written, in the words of the generated README. */
  pinnedIn: string;
  /** Files the manager writes into the project that belong neither in git nor in an image build. */
  ignore: string[];
  /**
   * A multi-service project (`--project`): where its root lists the services (`workspaces` in
   * package.json, or pnpm's `packages` in pnpm-workspace.yaml), and what a service's image appends to
   * the frozen install so that it installs that one service from the root lockfile ({dir}: e.g.
   * services/a). Measured: npm, pnpm, yarn 1 and bun install from the root lockfile with only this
   * service's package.json beside it (bun 1.3+ links the service's dependencies into its own
   * node_modules, which its build finds). Yarn 2+ has a command of its own (image.later.workspaceInstall).
   */
  workspace: { file: "package.json" | "pnpm-workspace.yaml"; key: string; installOnly: string[] };
  /** How the image's build stage installs the project. */
  image: {
    /**
     * The manager's npm package, installed with `npm install -g` from the npm registry (the base image
     * has node and npm only; corepack would download from hosts of its own), in exactly the version
     * that created the project, or this major version when that is unknown. None for npm itself: any
     * npm from 7 on reads the lockfile npm writes today (lockfileVersion 3).
     */
    tool?: ImageTool;
    /** argv of the install that takes exactly the lockfile and fails when package.json disagrees with it. */
    frozenInstall: string[];
    /** From this major version on, the manager is another npm package with another frozen install (yarn 2+). */
    later?: {
      major: number;
      tool: ImageTool;
      frozenInstall: string[];
      /** argv that installs one workspace of a `--project` ({name}: its package name), instead of frozenInstall + installOnly. */
      workspaceInstall?: string[];
    };
  };
  /**
   * From this major version on, package.json does not record the version as `packageManager`, and
   * only the Dockerfile names it (pnpm 12+; see its entry).
   */
  unrecordedFrom?: number;
}

export interface ImageTool {
  /** The npm package that brings the manager's binary. */
  package: string;
  /** The major version the image gets when the project does not record its manager's version. */
  fallbackMajor: string;
}

const FACTS: Record<PackageManager, PackageManagerFacts> = {
  npm: {
    install: ["npm", "install"],
    installEnv: {},
    run: ["npm", "run"],
    scriptArgs: ["--"],
    exec: ["npx"],
    // --prefer-offline: a cached plop runs without asking the registry whether it changed (a pinned version does not).
    dlx: { argv: ["npx", "--yes", "--prefer-offline"] },
    registrySetting: "`registry=<url>` in `.npmrc` (the project's or your own)",
    lockfile: "package-lock.json",
    // allowScripts: npm 11 reads it (older npm ignores it); without it every install warns about esbuild.
    packageJson: { overrides: PINS, allowScripts: Object.fromEntries(BUILDS.map((name) => [name, true])) },
    files: {},
    pinnedIn: "`overrides` in `package.json`",
    ignore: [],
    workspace: { file: "package.json", key: "workspaces", installOnly: ["--workspace", "{dir}"] },
    image: { frozenInstall: ["npm", "ci", "--no-audit", "--no-fund"] },
  },
  pnpm: {
    install: ["pnpm", "install"],
    installEnv: {},
    run: ["pnpm"],
    scriptArgs: [],
    exec: ["pnpm", "exec"],
    dlx: { argv: ["pnpm", "dlx"] },
    registrySetting: "`registry=<url>` in `.npmrc` (the project's or your own)",
    lockfile: "pnpm-lock.yaml",
    packageJson: {},
    // pnpm 11+ reads its settings only from pnpm-workspace.yaml, not from package.json's "pnpm" field.
    files: { "pnpm-workspace.yaml": pnpmWorkspace() },
    pinnedIn: "`overrides` in `pnpm-workspace.yaml`",
    ignore: [],
    workspace: { file: "pnpm-workspace.yaml", key: "packages", installOnly: ["--filter", "./{dir}"] },
    // pnpm 12 refuses a lockfile written by pnpm 9 whose settings it reads otherwise: the image needs the very version.
    image: { tool: { package: "pnpm", fallbackMajor: "12" }, frozenInstall: ["pnpm", "install", "--frozen-lockfile"] },
    // pnpm 12 turns a packageManager field into a pin in pnpm-lock.yaml (packageManagerDependencies) that
    // it resolves from the registry, pnpm's platform packages included; where the registry or a mirror
    // lacks one, a plain install leaves the pin out with a warning and the image's frozen install then
    // fails (ERR_PNPM_FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE). The image installs the exact version anyway.
    unrecordedFrom: 12,
  },
  yarn: {
    install: ["yarn", "install"],
    // A new project has no yarn.lock yet, and yarn 4 under CI=true makes installs immutable: it would
    // refuse to write one. Yarn 1 ignores the variable.
    installEnv: { YARN_ENABLE_IMMUTABLE_INSTALLS: "false" },
    run: ["yarn"],
    scriptArgs: [],
    exec: ["yarn"],
    // Yarn 1 has no dlx: npx, which comes with Node, fetches plop (yarn 1 reads .npmrc's registry too).
    // Yarn 4's dlx reads the project's .yarnrc.yml; --quiet: no install report before plop's lines.
    dlx: { argv: ["npx", "--yes", "--prefer-offline"], later: { major: 2, argv: ["yarn", "dlx", "--quiet"] } },
    registrySetting: "`npmRegistryServer: <url>` in `.yarnrc.yml` (yarn 4), `registry=<url>` in `.npmrc` (yarn 1)",
    lockfile: "yarn.lock",
    // Yarn reads pins only from "resolutions". Yarn 1 runs install scripts unasked; yarn 4 runs
    // them only for dependencies marked built in dependenciesMeta (yarn 1 ignores that field).
    packageJson: { resolutions: PINS, dependenciesMeta: Object.fromEntries(BUILDS.map((name) => [name, { built: true }])) },
    // Yarn 4 would otherwise use Plug'n'Play: no node_modules, ESM through an experimental loader,
    // and its .pnp.cjs in the way of lint. Yarn 1 reads only .yarnrc, not this file.
    files: { ".yarnrc.yml": "# yarn 4: node_modules, as npm and yarn 1 install them, instead of Plug'n'Play.\nnodeLinker: node-modules\n" },
    pinnedIn: "`resolutions` in `package.json`",
    // Yarn 4's record of the last install, and its per-project cache (only with enableGlobalCache: false).
    ignore: [".yarn/install-state.gz", ".yarn/cache/"],
    // Yarn 1 installs the workspaces that are there; yarn 2+ focuses on one (image.later.workspaceInstall).
    workspace: { file: "package.json", key: "workspaces", installOnly: [] },
    // Yarn 1 and yarn 4 write lockfiles the other cannot read. Yarn 4 is another npm package
    // (@yarnpkg/cli-dist) and stops at --frozen-lockfile, while yarn 1 ignores --immutable.
    image: {
      tool: { package: "yarn", fallbackMajor: "1" },
      frozenInstall: ["yarn", "install", "--frozen-lockfile"],
      later: {
        major: 2,
        tool: { package: "@yarnpkg/cli-dist", fallbackMajor: "4" },
        frozenInstall: ["yarn", "install", "--immutable"],
        // Yarn 4's `install --immutable` refuses a workspace listed in package.json whose folder is not
        // in the image (the lockfile "would have been modified"); `workspaces focus` (built into yarn 4)
        // installs the one workspace, from the locked versions. Measured with 4.18: focus does not
        // refuse a package.json that disagrees with yarn.lock (it resolves the difference anew and
        // does not write it): the host's `yarn install --immutable` is the check for that.
        workspaceInstall: ["yarn", "workspaces", "focus", "{name}"],
      },
    },
  },
  bun: {
    install: ["bun", "install"],
    installEnv: {},
    // `bun <name>` prefers bun's own subcommands (`bun test`) over scripts of the same name, so say `run`.
    run: ["bun", "run"],
    scriptArgs: [],
    exec: ["bunx"],
    dlx: { argv: ["bunx"] },
    // bunx installs into a temporary folder of its own: it reads the user's settings, not the project's.
    registrySetting: "`registry=<url>` in `~/.npmrc`, `[install] registry` in `~/.bunfig.toml`, or `NPM_CONFIG_REGISTRY` (bunx does not read the project's own files)",
    lockfile: "bun.lock",
    packageJson: { overrides: PINS, trustedDependencies: BUILDS },
    files: {},
    pinnedIn: "`overrides` in `package.json`",
    ignore: [],
    workspace: { file: "package.json", key: "workspaces", installOnly: ["--filter", "./{dir}"] },
    // The bun package brings bun's binary for the platform as an optional dependency, from the npm registry.
    image: { tool: { package: "bun", fallbackMajor: "1" }, frozenInstall: ["bun", "install", "--frozen-lockfile"] },
  },
};

/**
 * pnpm's settings file. `packages` is required by pnpm 9 in any pnpm-workspace.yaml; `allowBuilds`
 * is what pnpm 11+ reads, `onlyBuiltDependencies` what pnpm 10 reads.
 */
function pnpmWorkspace(): string {
  return [
    "# pnpm's settings for this project (pnpm reads them only from this file).",
    "packages:",
    "  - .",
    "overrides:",
    ...Object.entries(PINS).map(([name, range]) => `  ${name}: "${range}"`),
    "# Dependencies whose install scripts may run: allowBuilds for pnpm 11+, onlyBuiltDependencies for pnpm 10.",
    "allowBuilds:",
    ...BUILDS.map((name) => `  ${name}: true`),
    "onlyBuiltDependencies:",
    ...BUILDS.map((name) => `  - ${name}`),
    "",
  ].join("\n");
}

/** The facts of one package manager (a copy: callers may change it). */
export function packageManagerFacts(pm: PackageManager): PackageManagerFacts {
  return structuredClone(FACTS[pm]);
}

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

/** A version as package managers print it (`pnpm --version`) and as `packageManager` records it. */
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

export function isManagerVersion(value: string | undefined): value is string {
  return value !== undefined && VERSION.test(value);
}

/** The version of `pm` in `npm_config_user_agent` when `pm` launched us ("pnpm/9.1.0 npm/? …" → "9.1.0"). */
export function userAgentVersion(pm: PackageManager, userAgent: string | undefined): string | undefined {
  const [name, version] = userAgent?.trim().split(" ")[0]?.split("/") ?? [];
  return name === pm && isManagerVersion(version) ? version : undefined;
}

/**
 * How the image installs the manager that wrote the lockfile: the npm package at exactly `version`
 * (what `packageManager` in package.json records), or at the fallback major version when unknown.
 */
export function imageInstall(pm: PackageManager, version?: string): { tool: string; frozenInstall: string[] } {
  const { image } = FACTS[pm];
  if (!image.tool) return { tool: "", frozenInstall: [...image.frozenInstall] };
  const later = laterImage(pm, version);
  const tool = later?.tool ?? image.tool;
  return { tool: `${tool.package}@${version ?? tool.fallbackMajor}`, frozenInstall: [...(later ?? image).frozenInstall] };
}

/** The image's `later` facts when `version` (or, unknown, the fallback major version) reaches them. */
function laterImage(pm: PackageManager, version?: string) {
  const { image } = FACTS[pm];
  if (!image.tool || !image.later) return undefined;
  const major = version === undefined ? Number(image.tool.fallbackMajor) : Number(version.split(".")[0]);
  return major >= image.later.major ? image.later : undefined;
}

/**
 * The `generate` script: plop fetched on demand by the manager that created the project, e.g.
 * `npx --yes --prefer-offline plop@4.0.5` or, for yarn 2+ (`version` known), `yarn dlx --quiet plop@4.0.5`.
 */
export function generateScript(pm: PackageManager, version?: string): string {
  const { dlx } = FACTS[pm];
  const major = isManagerVersion(version) ? Number(version.split(".")[0]) : undefined;
  const argv = dlx.later && major !== undefined && major >= dlx.later.major ? dlx.later.argv : dlx.argv;
  return [...argv, PLOP].join(" ");
}

/**
 * The frozen install of one service of a `--project` (its folder `dir`, e.g. services/a; its package
 * name `name`) in its image: the root's lockfile, with only that service's package.json beside it.
 */
export function workspaceImageInstall(pm: PackageManager, dir: string, name: string, version?: string): string[] {
  const focus = laterImage(pm, version)?.workspaceInstall;
  if (focus) return focus.map((arg) => arg.replace("{name}", name));
  return [...imageInstall(pm, version).frozenInstall, ...FACTS[pm].workspace.installOnly.map((arg) => arg.replace("{dir}", dir))];
}

/** Where a `--project` root lists its services: the file and its key. */
export function workspaceList(pm: PackageManager): { file: "package.json" | "pnpm-workspace.yaml"; key: string } {
  const { file, key } = FACTS[pm].workspace;
  return { file, key };
}

/** argv of the install command, e.g. ["pnpm", "install"]. */
export function installCommand(pm: PackageManager): string[] {
  return [...FACTS[pm].install];
}

/** The environment variables the first install needs beside the user's. */
export function installEnv(pm: PackageManager): Record<string, string> {
  return { ...FACTS[pm].installEnv };
}

/** argv that runs a package.json script with arguments, e.g. ["npm", "run", "generate", "--", "reply", "x"]. */
export function runCommand(pm: PackageManager, script: string, ...args: string[]): string[] {
  const { run, scriptArgs } = FACTS[pm];
  return args.length === 0 ? [...run, script] : [...run, script, ...scriptArgs, ...args];
}

/**
 * What the project templates need about the package manager: commands for its README, and the
 * package.json fields as `{ key, value }` with the value already JSON at the indentation of a
 * top-level field (Handlebars has no JSON pretty-printer of its own). `version` is the version of
 * the manager that creates the project, when known: package.json records it as `packageManager`
 * (as corepack reads it), and the image installs exactly that version.
 */
export function packageManagerTemplateData(pm: PackageManager, version?: string): {
  runCommand: string;
  installCommand: string;
  generateCommand: string;
  /** package.json's `generate` script: the pinned plop, fetched on demand (generateScript). */
  generateScript: string;
  /** The pinned plop, e.g. `plop@4.0.5`. */
  plop: string;
  /** Where the registry for installs and plop is set (Markdown). */
  registrySetting: string;
  packageJsonFields: Array<{ key: string; value: string }>;
  packageManager: PackageManager;
  /** The version of the manager that created the project, for the README; "" when unknown or npm. */
  managerVersion: string;
  /** `pnpm@9.15.0`, as package.json records it; "" for npm, when the version is unknown or not recorded (unrecordedFrom). */
  packageManagerSpec: string;
  lockfile: string;
  /** The manager's settings files, as Markdown code, e.g. "`pnpm-workspace.yaml`"; "" when it has none. */
  settingsFiles: string;
  pinnedIn: string;
  ignoredFiles: string[];
  /** What the image's frozen install reads: package.json, the lockfile and the settings files, space-separated. */
  imageManifests: string;
  /** The manager's npm package for `npm install -g` in the image; "" for npm, which the base image has. */
  imageTool: string;
  imageInstallCommand: string;
} {
  const facts = FACTS[pm];
  const settings = Object.keys(facts.files);
  const known = facts.image.tool && isManagerVersion(version) ? version : undefined;
  const recorded = known !== undefined && Number(known.split(".")[0]) < (facts.unrecordedFrom ?? Infinity);
  const packageManagerSpec = recorded ? `${pm}@${known}` : "";
  const fields = { ...facts.packageJson, ...(packageManagerSpec ? { packageManager: packageManagerSpec } : {}) };
  const image = imageInstall(pm, known);
  return {
    runCommand: facts.run.join(" "),
    installCommand: facts.install.join(" "),
    generateCommand: [...facts.run, "generate", ...facts.scriptArgs].join(" "),
    generateScript: generateScript(pm, version),
    plop: PLOP,
    registrySetting: facts.registrySetting,
    packageJsonFields: Object.entries(fields).map(([key, value]) => ({
      key,
      value: JSON.stringify(value, null, 2).replaceAll("\n", "\n  "),
    })),
    packageManager: pm,
    managerVersion: known ?? "",
    packageManagerSpec,
    lockfile: facts.lockfile,
    settingsFiles: settings.map((file) => `\`${file}\``).join(", "),
    pinnedIn: facts.pinnedIn,
    ignoredFiles: [...facts.ignore],
    imageManifests: ["package.json", facts.lockfile, ...settings].join(" "),
    imageTool: image.tool,
    imageInstallCommand: image.frozenInstall.join(" "),
  };
}
