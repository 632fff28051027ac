import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ActionType, CustomActionConfig, NodePlopAPI, PlopGenerator } from "node-plop";
import type { Answers } from "../src/answers.js";
import { listFiles } from "../src/list-files.js";
import { packageRoot } from "../src/own-package.js";
import { packageManagerFacts, packageManagerTemplateData } from "../src/package-manager.js";
import { renderTemplate } from "./render-template.js";
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
const TEMPLATES_ROOT = join(packageRoot(), "templates");
export const TEMPLATES_DIR = join(TEMPLATES_ROOT, "service");
const PROJECT_DIR = join(TEMPLATES_DIR, "project");
const HANDLER_DIR = join(TEMPLATES_DIR, "handler");

/** What project templates see. */
export interface ProjectData {
  name: string;
  description: string;
  /** The dependency spec for telestion-runtime. */
  runtime: string;
  /** telestion-runtime is installed from the project's vendor/ folder: the Dockerfile must copy it before npm ci. */
  vendoredRuntime: boolean;
  /** The unscoped package name: the default SERVICE_NAME, the bin and the executable's name. */
  serviceName: string;
  /** How the chosen package manager runs a script and installs, for the README. */
  runCommand: string;
  installCommand: string;
  /** `generate` with arguments for plop: npm needs `--` before them, the others pass them on as they are. */
  generateCommand: string;
  /** The package manager's own package.json fields (pins, allowed install scripts), values as JSON text. */
  packageJsonFields: Array<{ key: string; value: string }>;
}

export function projectData(answers: Answers): ProjectData {
  return {
    name: answers.name,
    description: answers.description,
    runtime: answers.runtime,
    vendoredRuntime: answers.runtime.startsWith("file:vendor/"),
    serviceName: answers.name.replace(/^@[^/]+\//, ""),
    ...packageManagerTemplateData(answers.packageManager),
  };
}

/** What the generator's runActions takes. */
export interface GeneratorInput {
  answers: Answers;
}

/**
 * Registers the generator (and the action type it needs) on a node-plop
 * instance; run it with `runActions({ answers })`. node-plop lays the runActions data over each
 * action's own data, so the answers travel wrapped: `answers.install` must not hide the template
 * value of the same name.
 */
export function registerServiceGenerator(plop: NodePlopAPI): PlopGenerator {
  plop.setActionType("render", renderAction);
  return plop.setGenerator("service", {
    description: "A Telestion service in TypeScript",
    prompts: [],
    actions: (data) => serviceActions((data as GeneratorInput).answers),
  });
}

/** One file for the render action: rendered with `data` through plop's Handlebars, copied verbatim, or given as `content`. */
export interface RenderedFile {
  path: string;
  templateFile?: string;
  /** The whole content, written as is (a package manager's settings file, e.g. pnpm-workspace.yaml). */
  content?: string;
  data?: object;
  verbatim?: true;
}

/** Every action for one project: all files in one render action, then each handler's lines in main.ts. */
export function serviceActions(answers: Answers): ActionType[] {
  const data = projectData(answers);
  const specs = handlerSpecs(answers.subscribe, answers.reply);
  const files: RenderedFile[] = [
    ...listFiles(PROJECT_DIR).map((file) => ({ path: destinationOf(file), templateFile: join(PROJECT_DIR, file), data })),
    // The project's own plop templates must stay templates.
    ...listFiles(HANDLER_DIR).map((file) => ({ path: `plop-templates/${file}`, templateFile: join(HANDLER_DIR, file), verbatim: true as const })),
    ...specs.flatMap(handlerFiles),
    ...Object.entries(packageManagerFacts(answers.packageManager).files).map(([path, content]) => ({ path, content })),
  ];
  const render: CustomActionConfig<"render"> = { type: "render", files, abortOnFail: true };
  // node-plop's ActionType leaves custom action configs out on purpose (see its typings).
  return [render as ActionType, ...specs.map(registration)];
}

/** A handler's module and its test. */
export function handlerFiles(spec: HandlerSpec): RenderedFile[] {
  return [
    { path: `src/handlers/${spec.slug}.ts`, templateFile: join(HANDLER_DIR, `${spec.kind}.ts.hbs`), data: spec },
    { path: `test/handlers/${spec.slug}.test.ts`, templateFile: join(HANDLER_DIR, `${spec.kind}.test.ts.hbs`), data: spec },
  ];
}

/** A handler's import and registration in src/main.ts, above the markers (as the project's plopfile does it). */
export function registration(spec: HandlerSpec): ActionType {
  return {
    type: "modify",
    path: "src/main.ts",
    transform: (source: string) =>
      insertAboveMarker(insertAboveMarker(source, IMPORTS_MARKER, importLine(spec)), HANDLERS_MARKER, registrationLine(spec)),
    abortOnFail: true,
  };
}

/** `_gitignore.hbs` → `.gitignore`, `Dockerfile.hbs` → `Dockerfile`, `src/main.ts.hbs` → `src/main.ts`. */
export function destinationOf(templatePath: string): string {
  const parts = templatePath.split("/");
  const file = parts.pop()!.replace(/\.hbs$/, "").replace(/^_/, ".");
  return [...parts, file].join("/");
}

/**
 * Writes all files of a project in one action, with synchronous file system calls and templates that
 * the CLI bundle carries precompiled. node-plop's `add` takes several asynchronous round trips and a
 * Handlebars compile per file, which made up most of the time of a whole `npm create telestion-service`
 * (bench/ benchmark 1). Existing files are never overwritten.
 */
function renderAction(_answers: unknown, config: CustomActionConfig<string>, plop: NodePlopAPI): string {
  const base = plop.getDestBasePath();
  const files = config["files"] as RenderedFile[];
  const made = new Set<string>();
  for (const file of files) {
    const target = join(base, file.path);
    const dir = dirname(target);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    const content =
      file.content ??
      (file.verbatim ? readFileSync(file.templateFile!, "utf8") : renderTemplate(TEMPLATES_ROOT, file.templateFile!, file.data ?? {}));
    try {
      writeFileSync(target, content, { flag: "wx" });
    } catch (err) {
      throw new Error(`${file.path}: ${(err as NodeJS.ErrnoException).code === "EEXIST" ? "file already exists" : (err as Error).message}`);
    }
  }
  return `${files.length} files`;
}
