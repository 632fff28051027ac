import { join } from "node:path";
import { handlerSpecs, registerHandler, type HandlerSpec } from "./handlers.js";
import { handlersModule } from "./handlers-module.js";
import { packageManagerFacts, packageManagerTemplateData, type PackageManager } from "./package-manager.js";
import { tryItCommands, type TryIt } from "./try-it.js";
import { TEMPLATES_ROOT, templateSource, templatesIn, type Template } from "./templates.js";
import type { ProjectFile } from "./write-files.js";

/**
 * The service generator: which files a new project gets and where each template goes.
 *
 * templates/service/project/  rendered once per project; `x.hbs` becomes `x`, and a leading `_` becomes
 *                              `.` (npm leaves `.gitignore` out of packages, so it is stored as `_gitignore.hbs`)
 * templates/service/handler/  rendered once per handler, and copied verbatim into the project's
 *                              plop-templates/ so that `npm run generate` renders the very same files
 */
export const TEMPLATES_DIR = join(TEMPLATES_ROOT, "service");
const PROJECT = "service/project";
const HANDLER = "service/handler";

/** What generation needs to know (the CLI's answers hold all of it). */
export interface ServiceInput {
  name: string;
  description: string;
  /** Subscriptions in queue group SERVICE_NAME (work), without one (state every instance keeps), reply subjects. */
  subscribe: readonly string[];
  subscribeAll: readonly string[];
  reply: readonly string[];
  /** Publishers as `<subject>[@<interval>]` (generators/handlers.ts); none if not given. */
  publish?: readonly string[];
  packageManager: PackageManager;
  /** The version of the package manager creating the project, when known (recorded as `packageManager`). */
  packageManagerVersion?: string;
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
  /** serviceName as a Kubernetes object name and label value, for deploy/kubernetes/. */
  kubernetesName: string;
  /** How the chosen package manager runs a script and installs, for the README. */
  runCommand: string;
  installCommand: string;
  /** `generate` with arguments for plop: npm needs `--` before them, the others pass them on as they are. */
  generateCommand: string;
  /** The package manager's own package.json fields (pins, allowed install scripts), values as JSON text. */
  packageJsonFields: Array<{ key: string; value: string }>;
  /** The README's first commands against the running service (generators/try-it.ts). */
  tryIt: TryIt[];
}

/** The package name without its scope: the default SERVICE_NAME, the bin's and the executable's name. */
export function unscopedName(name: string): string {
  return name.replace(/^@[^/]+\//, "");
}

export function projectData(input: ServiceInput): ProjectData {
  const serviceName = unscopedName(input.name);
  return {
    name: input.name,
    description: input.description,
    runtime: input.runtime,
    vendoredRuntime: input.runtime.startsWith("file:vendor/"),
    serviceName,
    kubernetesName: kubernetesName(serviceName),
    ...packageManagerTemplateData(input.packageManager, input.packageManagerVersion),
    tryIt: tryItCommands(input.subscribe, input.reply, input.packageManager),
  };
}

/**
 * `serviceName` as Kubernetes takes it for a Deployment's name and a label value (a DNS label: lowercase
 * letters, digits and `-`, a letter or digit at both ends, at most 63 characters); npm names may also
 * have `.` and `_`: `my_service` → `my-service`.
 */
export function kubernetesName(serviceName: string): string {
  return serviceName.replace(/[^a-z\d-]/g, "-").slice(0, 63).replace(/^-+|-+$/g, "") || "service";
}

/** Every file of a new project: the project templates, the plop templates, each handler, the package manager's settings. */
export function serviceFiles(input: ServiceInput): ProjectFile[] {
  const data = projectData(input);
  const specs = handlerSpecs(input);
  const handlerTemplates = templatesIn(HANDLER);
  return [
    ...templatesIn(PROJECT).map(({ file, render }) => {
      const path = destinationOf(file);
      // src/main.ts registers every handler, as `npm run generate` would add it.
      return { path, content: path === "src/main.ts" ? specs.reduce(registerHandler, render(data)) : render(data) };
    }),
    // The project's own plop templates must stay templates.
    ...handlerTemplates.map(({ file }) => ({ path: `plop-templates/${file}`, content: templateSource(HANDLER, file) })),
    { path: "plop-templates/handlers.js", content: handlersModule() },
    ...specs.flatMap((spec) => handlerFiles(spec, handlerTemplates)),
    ...Object.entries(packageManagerFacts(input.packageManager).files).map(([path, content]) => ({ path, content })),
  ];
}

/** A handler's module and its test. */
export function handlerFiles(spec: HandlerSpec, templates: readonly Template[]): ProjectFile[] {
  const render = (file: string) => templates.find((template) => template.file === file)!.render(spec);
  return [
    { path: `src/handlers/${spec.slug}.ts`, content: render(`${spec.kind}.ts.hbs`) },
    { path: `test/handlers/${spec.slug}.test.ts`, content: render(`${spec.kind}.test.ts.hbs`) },
  ];
}

/** `_gitignore.hbs` → `.gitignore`, `Dockerfile.hbs` → `Dockerfile`, `src/main.ts.hbs` → `src/main.ts`. */
export function destinationOf(templatePath: string): string {
  const parts = templatePath.split("/");
  const file = parts.pop()!.replace(/\.hbs$/, "").replace(/^_/, ".");
  return [...parts, file].join("/");
}
