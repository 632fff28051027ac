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
  /** How the image's build stage installs the project. */
  image: {
    /**
     * The manager's npm package and major version, installed with `npm install -g` from the npm
     * registry (the base image has node and npm only; corepack would download from hosts of its own).
     * None for npm itself.
     */
    tool?: string;
    /** argv of the install that takes exactly the lockfile and fails when package.json disagrees with it. */
    frozenInstall: string[];
    /** What the generated README's Docker section says about this manager beyond what holds for all (Markdown). */
    note?: string;
  };
}

const FACTS: Record<PackageManager, PackageManagerFacts> = {
  npm: {
    install: ["npm", "install"],
    installEnv: {},
    run: ["npm", "run"],
    scriptArgs: ["--"],
    exec: ["npx"],
    lockfile: "package-lock.json",
    // allowScripts: npm 11 reads it (older npm ignores it); without it every install warns about esbuild.
    packageJson: { overrides: PINS, allowScripts: Object.fromEntries(BUILDS.map((name) => [name, true])) },
    files: {},
    pinnedIn: "`overrides` in `package.json`",
    ignore: [],
    image: { frozenInstall: ["npm", "ci", "--no-audit", "--no-fund"] },
  },
  pnpm: {
    install: ["pnpm", "install"],
    installEnv: {},
    run: ["pnpm"],
    scriptArgs: [],
    exec: ["pnpm", "exec"],
    lockfile: "pnpm-lock.yaml",
    packageJson: {},
    // pnpm 11+ reads its settings only from pnpm-workspace.yaml, not from package.json's "pnpm" field.
    files: { "pnpm-workspace.yaml": pnpmWorkspace() },
    pinnedIn: "`overrides` in `pnpm-workspace.yaml`",
    ignore: [],
    // The major version this generator is tested with; pnpm 12 writes lockfileVersion 9.0, as pnpm 9 and 10 do.
    image: { tool: "pnpm@12", frozenInstall: ["pnpm", "install", "--frozen-lockfile"] },
  },
  yarn: {
    install: ["yarn", "install"],
    // A new project has no yarn.lock yet, and yarn 4 under CI=true makes installs immutable: it would
    // refuse to write one. Yarn 1 ignores the variable.
    installEnv: { YARN_ENABLE_IMMUTABLE_INSTALLS: "false" },
    run: ["yarn"],
    scriptArgs: [],
    exec: ["yarn"],
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
    // Yarn 1 in the image: its yarn.lock is what `yarn` writes unless a project opts into yarn 4, whose
    // lockfile yarn 1 cannot read. The generated README says what to change for yarn 4
    // (@yarnpkg/cli-dist@4, the npm package of yarn 4, and --immutable, since yarn 4 exits 1 on
    // --frozen-lockfile while yarn 1 ignores --immutable).
    image: {
      tool: "yarn@1",
      frozenInstall: ["yarn", "install", "--frozen-lockfile"],
      // Lines of the README's list item: indented by two spaces after the first.
      note: [
        "**yarn 4.** The image installs yarn 1, which cannot read the `yarn.lock` of yarn 4 (it starts with",
        "  `__metadata:`). With yarn 4 (`yarn --version` says 4.x), change two things in the Dockerfile:",
        "  `yarn@1` to `@yarnpkg/cli-dist@4`, yarn 4's own package on the npm registry, and",
        "  `--frozen-lockfile` to `--immutable` (yarn 4 stops at the old flag; yarn 1 ignores the new one and",
        "  rewrites the lockfile). yarn 4 reads `.yarnrc.yml` (`nodeLinker: node-modules`), which the",
        "  Dockerfile copies already.",
      ].join("\n"),
    },
  },
  bun: {
    install: ["bun", "install"],
    installEnv: {},
    // `bun <name>` prefers bun's own subcommands (`bun test`) over scripts of the same name, so say `run`.
    run: ["bun", "run"],
    scriptArgs: [],
    exec: ["bunx"],
    lockfile: "bun.lock",
    packageJson: { overrides: PINS, trustedDependencies: BUILDS },
    files: {},
    pinnedIn: "`overrides` in `package.json`",
    ignore: [],
    // The bun package brings bun's binary for the platform as an optional dependency, from the npm registry.
    image: { tool: "bun@1", frozenInstall: ["bun", "install", "--frozen-lockfile"] },
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
 * top-level field (Handlebars has no JSON pretty-printer of its own).
 */
export function packageManagerTemplateData(pm: PackageManager): {
  runCommand: string;
  installCommand: string;
  generateCommand: string;
  packageJsonFields: Array<{ key: string; value: string }>;
  packageManager: PackageManager;
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
  imageNote: string;
} {
  const facts = FACTS[pm];
  const settings = Object.keys(facts.files);
  return {
    runCommand: facts.run.join(" "),
    installCommand: facts.install.join(" "),
    generateCommand: [...facts.run, "generate", ...facts.scriptArgs].join(" "),
    packageJsonFields: Object.entries(facts.packageJson).map(([key, value]) => ({
      key,
      value: JSON.stringify(value, null, 2).replaceAll("\n", "\n  "),
    })),
    packageManager: pm,
    lockfile: facts.lockfile,
    settingsFiles: settings.map((file) => `\`${file}\``).join(", "),
    pinnedIn: facts.pinnedIn,
    ignoredFiles: [...facts.ignore],
    imageManifests: ["package.json", facts.lockfile, ...settings].join(" "),
    imageTool: facts.image.tool ?? "",
    imageInstallCommand: facts.image.frozenInstall.join(" "),
    imageNote: facts.image.note ?? "",
  };
}
