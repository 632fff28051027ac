import { copyFile, mkdir } from "node:fs/promises";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ActionType, CustomActionConfig, NodePlopAPI, PlopGenerator } from "node-plop";
import type { Answers, PackageManager } from "../src/answers.js";
import {
  HANDLERS_MARKER,
  IMPORTS_MARKER,
  handlerSpecs,
  importLine,
  insertAboveMarker,
  registrationLine,
  type HandlerSpec,
} from "./handlers.js";

/**
 * The service generator: which files a new project gets and where each template goes.
 *
 * templates/service/project/  rendered once per project; `x.hbs` becomes `x`, and a leading `_` becomes
 *                              `.` (npm leaves `.gitignore` out of packages, so it is stored as `_gitignore.hbs`)
 * templates/service/handler/  rendered once per handler, and copied verbatim into the project's
 *                              plop-templates/ so that `npm run generate` renders the very same files
 */
export const TEMPLATES_DIR = join(packageRoot(), "templates", "service");
const PROJECT_DIR = join(TEMPLATES_DIR, "project");
const HANDLER_DIR = join(TEMPLATES_DIR, "handler");

/** What project templates see. */
export interface ProjectData {
  name: string;
  description: string;
  /** The dependency spec for telestion-runtime. */
  runtime: string;
  /** The unscoped package name: the default SERVICE_NAME, the bin and the executable's name. */
  serviceName: string;
  /** How the chosen package manager runs a script and installs, for the README. */
  runCommand: string;
  installCommand: string;
  /** `generate` with arguments for plop: npm needs `--` before them, the others pass them on as they are. */
  generateCommand: string;
}

const COMMANDS: Record<PackageManager, Pick<ProjectData, "runCommand" | "installCommand" | "generateCommand">> = {
  npm: { runCommand: "npm run", installCommand: "npm install", generateCommand: "npm run generate --" },
  pnpm: { runCommand: "pnpm", installCommand: "pnpm install", generateCommand: "pnpm generate" },
  yarn: { runCommand: "yarn", installCommand: "yarn", generateCommand: "yarn generate" },
  bun: { runCommand: "bun run", installCommand: "bun install", generateCommand: "bun run generate" },
};

export function projectData(answers: Answers): ProjectData {
  return {
    name: answers.name,
    description: answers.description,
    runtime: answers.runtime,
    serviceName: answers.name.replace(/^@[^/]+\//, ""),
    ...COMMANDS[answers.packageManager],
  };
}

/** What the generator's runActions takes. */
export interface GeneratorInput {
  answers: Answers;
}

/**
 * Registers the generator (and the helper and action type its templates need) on a node-plop
 * instance; run it with `runActions({ answers })`. node-plop lays the runActions data over each
 * action's own data, so the answers travel wrapped: `answers.install` must not hide the template
 * value of the same name.
 */
export function registerServiceGenerator(plop: NodePlopAPI): PlopGenerator {
  plop.setHelper("json", (value: unknown) => JSON.stringify(value));
  plop.setActionType("copy", copyAction);
  return plop.setGenerator("service", {
    description: "A Telestion service in TypeScript",
    prompts: [],
    actions: (data) => serviceActions((data as GeneratorInput).answers),
  });
}

/** Every action for one project, in order: project files, the plop templates, then each handler. */
export function serviceActions(answers: Answers): ActionType[] {
  const data = projectData(answers);
  const project = listFiles(PROJECT_DIR).map((file) => ({
    type: "add",
    path: destinationOf(file),
    templateFile: join(PROJECT_DIR, file),
    data,
    abortOnFail: true,
  }));
  const plopTemplates = listFiles(HANDLER_DIR).map((file) => ({
    type: "copy",
    path: `plop-templates/${file}`,
    templateFile: join(HANDLER_DIR, file),
    abortOnFail: true,
  }));
  const handlers = handlerSpecs(answers.subscribe, answers.reply).flatMap(handlerActions);
  return [...project, ...plopTemplates, ...handlers];
}

/** A handler module, its test, and its two lines in src/main.ts. */
export function handlerActions(spec: HandlerSpec): ActionType[] {
  return [
    { type: "add", path: `src/handlers/${spec.slug}.ts`, templateFile: join(HANDLER_DIR, `${spec.kind}.ts.hbs`), data: spec, abortOnFail: true },
    { type: "add", path: `test/handlers/${spec.slug}.test.ts`, templateFile: join(HANDLER_DIR, `${spec.kind}.test.ts.hbs`), data: spec, abortOnFail: true },
    {
      type: "modify",
      path: "src/main.ts",
      transform: (source: string) =>
        insertAboveMarker(insertAboveMarker(source, IMPORTS_MARKER, importLine(spec)), HANDLERS_MARKER, registrationLine(spec)),
      abortOnFail: true,
    },
  ];
}

/** `_gitignore.hbs` → `.gitignore`, `Dockerfile.hbs` → `Dockerfile`, `src/main.ts.hbs` → `src/main.ts`. */
export function destinationOf(templatePath: string): string {
  const parts = templatePath.split("/");
  const file = parts.pop()!.replace(/\.hbs$/, "").replace(/^_/, ".");
  return [...parts, file].join("/");
}

/** Copies `templateFile` to `path` unrendered: the project's own plop templates must stay templates. */
async function copyAction(_answers: unknown, config: CustomActionConfig<string>, plop: NodePlopAPI): Promise<string> {
  const target = join(plop.getDestBasePath(), config["path"] as string);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(config["templateFile"] as string, target);
  return config["path"] as string;
}

/** Files under `dir`, relative and with `/` separators, sorted. */
function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = prefix + entry.name;
      return entry.isDirectory() ? listFiles(join(dir, entry.name), `${path}/`) : entry.isFile() ? [path] : [];
    })
    .sort();
}

/** The folder with package.json above this file: the same from generators/ (tsx) and dist/generators/ (built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("create-telestion-service: cannot find its package root (no package.json above it)");
    dir = parent;
  }
  return dir;
}
