import { readFileSync } from "node:fs";
import { join } from "node:path";
import { handlerSpecs, registerHandler, type HandlerSpec } from "./handlers.js";
import { handlersModule } from "./handlers-module.js";
import { listFiles } from "./list-files.js";
import { packageManagerFacts, packageManagerTemplateData, type PackageManager } from "./package-manager.js";
import { packageRoot } from "./package-root.js";
import { compiledTemplate } from "./templates.js";
import type { ProjectFile } from "./write-files.js";

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
const MAIN = "src/main.ts";

/** What generation needs to know (the CLI's answers hold all of it). */
export interface ServiceInput {
  name: string;
  description: string;
  subscribe: readonly string[];
  reply: readonly string[];
  packageManager: PackageManager;
  /** The dependency spec for telestion-runtime, as package.json gets it (`file:vendor/…` when vendored). */
  runtime: string;
}

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

export function projectData(input: ServiceInput): ProjectData {
  return {
    name: input.name,
    description: input.description,
    runtime: input.runtime,
    vendoredRuntime: input.runtime.startsWith("file:vendor/"),
    serviceName: input.name.replace(/^@[^/]+\//, ""),
    ...packageManagerTemplateData(input.packageManager),
  };
}

/** Every file of a new project: the project templates, the plop templates, each handler, the package manager's settings. */
export function serviceFiles(input: ServiceInput): ProjectFile[] {
  const data = projectData(input);
  const specs = handlerSpecs(input.subscribe, input.reply);
  const project = listFiles(PROJECT_DIR).map((file) => fromTemplate(destinationOf(file), join(PROJECT_DIR, file), data));
  return [
    // src/main.ts registers every handler, as `npm run generate` would add it.
    ...project.map((file) => (file.path === MAIN ? { path: MAIN, content: specs.reduce(registerHandler, textOf(file)) } : file)),
    // The project's own plop templates must stay templates.
    ...listFiles(HANDLER_DIR).map((file) => ({ path: `plop-templates/${file}`, copyOf: join(HANDLER_DIR, file) })),
    { path: "plop-templates/handlers.js", content: handlersModule() },
    ...specs.flatMap(handlerFiles),
    ...Object.entries(packageManagerFacts(input.packageManager).files).map(([path, content]) => ({ path, content })),
  ];
}

/** A handler's module and its test. */
export function handlerFiles(spec: HandlerSpec): ProjectFile[] {
  return [
    fromTemplate(`src/handlers/${spec.slug}.ts`, join(HANDLER_DIR, `${spec.kind}.ts.hbs`), spec),
    fromTemplate(`test/handlers/${spec.slug}.test.ts`, join(HANDLER_DIR, `${spec.kind}.test.ts.hbs`), spec),
  ];
}

/** The template rendered with `data`, or copied verbatim when it has no placeholders. */
function fromTemplate(path: string, template: string, data: object): ProjectFile {
  const render = compiledTemplate(TEMPLATES_ROOT, template);
  return render ? { path, content: render(data) } : { path, copyOf: template };
}

function textOf(file: ProjectFile): string {
  return "content" in file ? file.content : readFileSync(file.copyOf, "utf8");
}

/** `_gitignore.hbs` → `.gitignore`, `Dockerfile.hbs` → `Dockerfile`, `src/main.ts.hbs` → `src/main.ts`. */
export function destinationOf(templatePath: string): string {
  const parts = templatePath.split("/");
  const file = parts.pop()!.replace(/\.hbs$/, "").replace(/^_/, ".");
  return [...parts, file].join("/");
}
