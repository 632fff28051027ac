import { basename } from "node:path";
import { packageManagerFacts, workspaceImageInstall, workspaceList } from "./package-manager.js";
import { destinationOf, kubernetesName, projectData, serviceFiles, type ServiceInput } from "./service.js";
import { templatesIn } from "./templates.js";
import type { ProjectFile } from "./write-files.js";

/**
 * The multi-service project (`--project`): a root with the workspace settings, one compose.yaml, one
 * NATS configuration, one log sink, one .env.example and one Kubernetes base, and every service in
 * services/<folder>/. The first service comes with the root (its image also runs the log sink); each
 * later one is generated the same way and registered by the same function, registerService().
 */

/** Where services go, below the project's root. */
export const SERVICES_DIR = "services";

/** The root package.json's marker: `"telestion": { "project": 1 }` (1: this layout). */
export function isProjectManifest(manifest: unknown): boolean {
  const telestion = (manifest as { telestion?: { project?: unknown } } | null)?.telestion;
  return typeof telestion === "object" && telestion !== null && telestion.project !== undefined;
}

/** A root file that is not what the generator wrote: the message is one line naming the file and the fix. */
export class ProjectShapeError extends Error {}

/** Files of the standalone project that belong to the root in a multi-service project (one for all services). */
const ROOT_OWNED = new Set([".dockerignore", ".gitignore", "compose.yaml", "nats/nats.conf", "nats/nats-dev.conf"]);
/** Files of the standalone project that the root reuses as they are. */
const REUSED = [".env.example", "nats/nats.conf", "nats/nats-dev.conf", "deploy/kubernetes/data-volume.yaml", "deploy/kubernetes/log-sink.yaml", "deploy/kubernetes/nats-values.yaml"];
/** YAML written back as the templates have it: `["a", "b"]`, not `[ "a", "b" ]`. */
const YAML_OUT = { flowCollectionPadding: false, lineWidth: 0 };
/** Service names whose compose entry or Deployment would collide with the root's own. */
const RESERVED = new Set(["nats", "log-sink"]);

/** One service of a project: the generator's input and its folder below the root (services/<folder>). */
export interface ProjectServiceInput extends ServiceInput {
  serviceDir: string;
}

function serviceData(input: ProjectServiceInput) {
  const data = projectData(input);
  const install = workspaceImageInstall(input.packageManager, input.serviceDir, input.name, input.packageManagerVersion);
  return {
    ...data,
    serviceDir: input.serviceDir,
    composeName: data.kubernetesName,
    workspaceInstallCommand: install.join(" "),
    // Yarn 2+'s focused install is not frozen: the Dockerfile says so.
    workspaceFocus: install.includes("focus"),
  };
}

/** The package name of a project's root: its folder's name made valid, with `-project` so it never equals a service's. */
export function rootName(directory: string): string {
  return `${kubernetesName(basename(directory).toLowerCase())}-project`;
}

/**
 * Every file of a new project (paths relative to its root) with `input` as its first service, already
 * registered: the root is rendered empty and registerService() adds the service, as it adds every later one.
 */
export async function newProjectFiles(input: ProjectServiceInput, directory: string): Promise<ProjectFile[]> {
  const data = { ...serviceData(input), rootName: rootName(directory), workspacesInPackageJson: workspaceList(input.packageManager).file === "package.json" };
  const reused = templatesIn("service/project").filter(({ file }) => REUSED.includes(destinationOf(file)));
  const root: ProjectFile[] = [
    ...templatesIn("project/root").map(({ file, render }) => ({ path: destinationOf(file), content: render(data) })),
    ...reused.map(({ file, render }) => ({ path: destinationOf(file), content: render(data) })),
    ...Object.entries(packageManagerFacts(input.packageManager).files).map(([path, content]) => ({ path, content })),
  ];
  const files = new Map(root.map((file) => [file.path, file.content]));
  const { changed, added } = await registerService(files, input);
  for (const file of changed) files.set(file.path, file.content);
  return [
    ...[...files].map(([path, content]) => ({ path, content })),
    ...added,
    ...serviceInProjectFiles(input).map((file) => ({ path: `${input.serviceDir}/${file.path}`, content: file.content })),
  ];
}

/**
 * A service's own files in a project (relative to its folder): the standalone service's, without what
 * the root holds for all (compose, NATS, ignore files, the package manager's settings, the Kubernetes
 * base), with a Dockerfile built from the root and a package.json without the manager's settings
 * (those count only in the root's).
 */
export function serviceInProjectFiles(input: ProjectServiceInput): ProjectFile[] {
  const data = serviceData(input);
  const managerFiles = new Set(Object.keys(packageManagerFacts(input.packageManager).files));
  const packageJson = templatesIn("service/project").find(({ file }) => file === "package.json.hbs")!;
  const dockerfile = templatesIn("project/parts").find(({ file }) => file === "Dockerfile.hbs")!;
  const readme = templatesIn("service/project").find(({ file }) => file === "README.md.hbs")!;
  return serviceFiles(input)
    .filter(({ path }) => !ROOT_OWNED.has(path) && !managerFiles.has(path) && !path.startsWith("deploy/"))
    .map((file) => {
      if (file.path === "package.json") return { path: file.path, content: packageJson.render({ ...data, packageJsonFields: [] }) };
      if (file.path === "Dockerfile") return { path: file.path, content: dockerfile.render(data) };
      // serviceDir set: the README points to the root for compose, NATS and Kubernetes.
      if (file.path === "README.md") return { path: file.path, content: readme.render(data) };
      return file;
    });
}

/**
 * Registers a service in the project's root files (`files`: path → content, as they are now): the
 * workspace list, compose.yaml and the Kubernetes base. Resolves to the root files it changed and the
 * files it adds (deploy/kubernetes/services/<name>.yaml); changes nothing itself. Every edit is
 * structural (JSON, or YAML through its Document API, which keeps comments), and a file that is not
 * the shape the generator wrote is refused with a ProjectShapeError before anything is written.
 */
export async function registerService(
  files: ReadonlyMap<string, string>,
  input: ProjectServiceInput,
): Promise<{ changed: ProjectFile[]; added: ProjectFile[] }> {
  const data = serviceData(input);
  if (RESERVED.has(data.composeName)) {
    throw new ProjectShapeError(`a service named "${input.name}" would collide with the project's own ${data.composeName}; choose another --name`);
  }
  const read = (path: string) => {
    const content = files.get(path);
    if (content === undefined) throw new ProjectShapeError(`the project has no ${path}; restore it (create-telestion-service --project writes one) to add a service`);
    return content;
  };
  // Loaded only here, so a standalone run never pays for it. yaml is CommonJS: its module.exports is
  // `default` in Node and in the CLI's bundle alike (the bundle's chunk has no named exports).
  const { parseDocument, isMap, isSeq } = (await import("yaml")).default;
  const yaml = (path: string) => {
    const doc = parseDocument(read(path));
    if (doc.errors.length > 0) throw new ProjectShapeError(`${path} is not valid YAML (${doc.errors[0]!.message.split("\n")[0]}); fix it to add a service`);
    return doc;
  };
  const changed: ProjectFile[] = [];

  // 1. The workspace: the service's folder in the manager's list.
  const list = workspaceList(input.packageManager);
  if (list.file === "package.json") {
    const manifest = JSON.parse(read("package.json")) as Record<string, unknown>;
    const workspaces = manifest[list.key];
    if (!Array.isArray(workspaces)) throw new ProjectShapeError(`package.json has no "${list.key}" list; add "${list.key}": [] to it to add a service`);
    if (!workspaces.includes(input.serviceDir)) workspaces.push(input.serviceDir);
    changed.push({ path: "package.json", content: `${JSON.stringify(manifest, null, 2)}\n` });
  } else {
    const doc = yaml(list.file);
    const packages = doc.get(list.key);
    if (!isSeq(packages)) throw new ProjectShapeError(`${list.file} has no "${list.key}:" list; add "${list.key}: []" to it to add a service`);
    if (!packages.items.some((item) => String((item as { value?: unknown }).value ?? item) === input.serviceDir)) packages.add(doc.createNode(input.serviceDir));
    changed.push({ path: list.file, content: doc.toString(YAML_OUT) });
  }

  // 2. compose.yaml: the service's entry, before the log sink (services started first, read first).
  const compose = yaml("compose.yaml");
  const services = compose.get("services");
  if (!isMap(services) || !services.has("nats")) {
    throw new ProjectShapeError('compose.yaml has no "services:" map with nats in it; restore the compose.yaml create-telestion-service --project wrote to add a service');
  }
  if (services.has(data.composeName)) throw new ProjectShapeError(`compose.yaml already has a service "${data.composeName}"; choose another --name`);
  const entry = parseDocument(templatesIn("project/parts").find(({ file }) => file === "compose-service.yaml.hbs")!.render(data));
  if (!isMap(entry.contents)) throw new Error("templates/project/parts/compose-service.yaml.hbs must render one map entry");
  const [pair] = entry.contents.items;
  (pair!.key as { spaceBefore?: boolean; commentBefore?: string }).commentBefore = entry.commentBefore ?? undefined;
  (pair!.key as { spaceBefore?: boolean }).spaceBefore = true;
  const sink = services.items.findIndex((item) => String((item.key as { value?: unknown }).value ?? item.key) === "log-sink");
  services.items.splice(sink === -1 ? services.items.length : sink, 0, pair!);
  changed.push({ path: "compose.yaml", content: compose.toString(YAML_OUT) });

  // 3. Kubernetes: the service's Deployment as a resource of the base, and its image.
  const kustomization = yaml("deploy/kubernetes/kustomization.yaml");
  const resources = kustomization.get("resources");
  const images = kustomization.get("images");
  if (!isSeq(resources) || !isSeq(images)) {
    throw new ProjectShapeError('deploy/kubernetes/kustomization.yaml has no "resources:" or "images:" list; add the missing one (images: []) to add a service');
  }
  const deployment = `services/${data.kubernetesName}.yaml`;
  if (files.has(`deploy/kubernetes/${deployment}`)) throw new ProjectShapeError(`deploy/kubernetes/${deployment} exists already; choose another --name`);
  resources.add(kustomization.createNode(deployment));
  if (!images.items.some((item) => isMap(item) && item.get("name") === data.serviceName)) {
    images.flow = false;
    images.add(kustomization.createNode({ name: data.serviceName, newName: data.serviceName, newTag: "0.1.0" }));
  }
  changed.push({ path: "deploy/kubernetes/kustomization.yaml", content: kustomization.toString(YAML_OUT) });
  const template = templatesIn("service/project").find(({ file }) => file === "deploy/kubernetes/deployment.yaml.hbs")!;
  return { changed, added: [{ path: `deploy/kubernetes/${deployment}`, content: template.render(data) }] };
}
