import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_MANAGERS, packageManagerFacts, runCommand, type PackageManager } from "../generators/package-manager.js";
import { init } from "../src/init.js";
import { builtCli, REPO } from "../test-support/built-cli.js";

/**
 * A project of several services (--project): service A with the root, then service B added by running
 * the generator inside it, through init() as the CLI runs it. One case per manager installs at the root
 * and runs both services' tests; kustomize renders both when kubectl is there.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "project-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const env = { ...process.env, npm_config_user_agent: undefined };
  const code = await init(argv, { cwd, env, interactive: false, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Files below `root`, relative and sorted, without node_modules. */
function tree(root: string): string[] {
  return (readdirSync(root, { recursive: true, encoding: "utf8" }) as string[])
    .filter((path) => !path.includes("node_modules"))
    .filter((path) => !readdirSafe(join(root, path)))
    .sort();
}
function readdirSafe(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

const QUIET = ["--yes", "--no-git", "--runtime", "^0.1.0"];

async function projectWithTwo(pm: PackageManager, extra: string[] = []): Promise<string> {
  const root = join(mkdtempSync(join(dir, `${pm}-`)), "ground");
  const first = await run(dir, root, "--project", "--name", "a", "--package-manager", pm, "--no-install", ...QUIET, ...extra);
  expect(first.stderr).toBe("");
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`Created a Telestion project in ${root}`);
  expect(first.stdout).toContain("a in services/a/, registered in the workspace, compose.yaml and deploy/kubernetes/");
  // From a service's folder: the project is found above it.
  const second = await run(join(root, "services", "a"), "b", "--reply", "b.ping", "--subscribe", "", "--no-install", ...QUIET, ...extra);
  expect(second.stderr).toBe("");
  expect(second.code).toBe(0);
  expect(second.stdout).toContain(`Added b to the Telestion project at ${root}`);
  expect(second.stdout).toContain('compose.yaml (service "b")');
  expect(second.stdout).toContain("deploy/kubernetes/kustomization.yaml (services/b.yaml and its image)");
  return root;
}

describe.each(PACKAGE_MANAGERS)("a project with services a and b (%s)", (pm) => {
  let root: string;
  beforeAll(async () => {
    root = await projectWithTwo(pm);
  });
  const read = (path: string) => readFileSync(join(root, path), "utf8");

  it("puts each service in services/<name>/, and the shared files once at the root", () => {
    const files = tree(root);
    for (const service of ["a", "b"]) {
      expect(files).toContain(`services/${service}/package.json`);
      expect(files).toContain(`services/${service}/Dockerfile`);
      expect(files).toContain(`services/${service}/src/main.ts`);
      expect(files).toContain(`deploy/kubernetes/services/${service}.yaml`);
      // Shared: only at the root.
      for (const shared of ["compose.yaml", ".gitignore", ".dockerignore", "nats/nats.conf", "pnpm-workspace.yaml", ".yarnrc.yml"]) {
        expect(files).not.toContain(`services/${service}/${shared}`);
      }
    }
    expect(files).toEqual(expect.arrayContaining(["compose.yaml", "nats/nats.conf", ".env.example", "deploy/kubernetes/kustomization.yaml", "deploy/kubernetes/log-sink.yaml"]));
    expect(JSON.parse(read("package.json")).telestion).toEqual({ project: 1 });
    // Each service's README sends the reader to the root for what the services share.
    for (const service of ["a", "b"]) {
      expect(read(`services/${service}/README.md`)).toContain("> **One service of a project.**");
      expect(read(`services/${service}/README.md`)).toContain(`docker build -f services/${service}/Dockerfile .`);
    }
  });

  it("registers both in the workspace of the package manager", () => {
    if (pm === "pnpm") {
      const workspace = read("pnpm-workspace.yaml");
      expect(parseYaml(workspace).packages).toEqual([".", "services/a", "services/b"]);
      expect(workspace).toContain("# pnpm's settings for this project"); // comments kept
    } else {
      expect(JSON.parse(read("package.json")).workspaces).toEqual(["services/a", "services/b"]);
    }
    // The manager's settings are the root's only: a workspace's own are ignored or warned about.
    expect(JSON.parse(read("services/b/package.json"))).not.toHaveProperty("overrides");
    expect(JSON.parse(read("services/b/package.json"))).not.toHaveProperty("resolutions");
  });

  it("has one compose file: nats, a, b, the log sink, one data volume; each image built from the root", () => {
    const compose = parseYaml(read("compose.yaml"));
    expect(Object.keys(compose.services)).toEqual(["nats", "a", "b", "log-sink"]);
    expect(Object.keys(compose.volumes)).toEqual(["data"]);
    for (const service of ["a", "b"]) {
      expect(compose.services[service].build).toEqual({ context: ".", dockerfile: `services/${service}/Dockerfile` });
      expect(compose.services[service].environment.SERVICE_NAME).toBe(service);
      expect(compose.services[service].volumes).toEqual(["data:/data"]);
    }
    expect(compose.services["log-sink"].build.dockerfile).toBe("services/a/Dockerfile");
    expect(read("compose.yaml")).toContain("# The log sink runs from the image of the project's first service"); // comments kept
    const dockerfile = read("services/b/Dockerfile");
    expect(dockerfile).toContain("COPY services/b/package.json ./services/b/");
    expect(dockerfile).toContain("COPY services/b/ ./services/b/");
    expect(dockerfile).not.toMatch(/^COPY \. \./m);
  });

  it("lists both Deployments and images in the kustomization", () => {
    const kustomization = parseYaml(read("deploy/kubernetes/kustomization.yaml"));
    expect(kustomization.resources).toEqual(["log-sink.yaml", "data-volume.yaml", "services/a.yaml", "services/b.yaml"]);
    expect(kustomization.images.map((image: { name: string }) => image.name)).toEqual(["a", "b"]);
  });
});

describe("refusals: one line, nothing written", () => {
  it("a compose.yaml without its services map", async () => {
    const root = await projectWithTwo("npm");
    writeFileSync(join(root, "compose.yaml"), "# mine now\nversion: 3\n");
    const before = tree(root).map((path) => [path, readFileSync(join(root, path), "utf8")]);
    const result = await run(root, "c", "--no-install", ...QUIET);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: compose.yaml has no "services:" map with nats in it; restore the compose.yaml create-telestion-service --project wrote to add a service\n');
    expect(tree(root).map((path) => [path, readFileSync(join(root, path), "utf8")])).toEqual(before);
  });

  it("--project inside a project, a path instead of a name, a taken name, another manager", async () => {
    const root = await projectWithTwo("npm");
    expect((await run(root, "c", "--project", ...QUIET)).stderr).toMatch(/is already a Telestion project; leave out --project/);
    expect((await run(root, "x/c", ...QUIET)).stderr).toMatch(/a new service goes to services\/<name>\/: give just its folder name \(got "x\/c"\)/);
    expect((await run(root, "c", "--name", "b", "--no-install", ...QUIET)).stderr).toBe('error: compose.yaml already has a service "b"; choose another --name\n');
    expect((await run(root, "c", "--package-manager", "pnpm", ...QUIET)).stderr).toMatch(/uses npm; leave out --package-manager/);
    expect((await run(root, "nats", "--no-install", ...QUIET)).stderr).toMatch(/would collide with the project's own nats/);
    expect(tree(join(root, "services"))).not.toContainEqual(expect.stringMatching(/^(c|nats)\//));
  });
});

describe("the built CLI (templates precompiled, yaml in a chunk of its own)", () => {
  it("creates a project and adds a service to it", () => {
    const cli = builtCli();
    const parent = mkdtempSync(join(dir, "cli-"));
    const env = { ...process.env, npm_config_user_agent: "" };
    execFileSync(process.execPath, [cli, "ground", "--project", "--name", "a", "--no-install", ...QUIET], { cwd: parent, env, stdio: "pipe" });
    const out = execFileSync(process.execPath, [cli, "b", "--no-install", ...QUIET], { cwd: join(parent, "ground"), env, encoding: "utf8" });
    expect(out).toContain("registered in package.json (the workspace), compose.yaml (service \"b\")");
    expect(Object.keys(parseYaml(readFileSync(join(parent, "ground", "compose.yaml"), "utf8")).services)).toEqual(["nats", "a", "b", "log-sink"]);
  });
});

const kubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

describe.skipIf(!kubectl)("kubectl kustomize", () => {
  it("renders both services, the log sink, the data volume and the NATS ConfigMap", async () => {
    const root = await projectWithTwo("npm");
    const objects = execFileSync("kubectl", ["kustomize", "deploy/kubernetes"], { cwd: root, encoding: "utf8" })
      .split(/^---$/m)
      .map((text) => parseYaml(text) as { kind: string; metadata: { name: string } });
    const names = objects.map(({ kind, metadata }) => `${kind}/${metadata.name.replace(/-[a-z0-9]{10}$/, "")}`).sort();
    expect(names).toEqual(["ConfigMap/telestion-nats", "Deployment/a", "Deployment/b", "Deployment/log-sink", "PersistentVolumeClaim/telestion-data"]);
  });
});

/**
 * Installed at the root by the CLI with each manager (the one on PATH; yarn: yarn 1 there), then each
 * service's own scripts in its folder, as its README says. One after the other: ~30 s each on two cores.
 */
describe.each(PACKAGE_MANAGERS)("%s: installed at the root, both services' own checks pass", (pm) => {
  it("installs once for both; a's and b's tests, typecheck and build pass", { timeout: 600_000 }, async () => {
    const tarball = execFileSync("npm", ["pack", "-w", "runtime", "--silent", "--pack-destination", dir], { cwd: REPO, encoding: "utf8" }).trim().split("\n").pop()!;
    const root = join(mkdtempSync(join(dir, `install-${pm}-`)), "ground");
    const runtime = ["--runtime", join(dir, tarball)];
    expect((await run(dir, root, "--project", "--name", "a", "--package-manager", pm, "--yes", "--no-git", "--no-install", ...runtime)).code).toBe(0);
    // Adding installs at the root: the one lockfile gets b (and a, not installed before).
    const added = await run(root, "b", "--reply", "b.ping", "--subscribe", "", "--yes", ...runtime);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    const lockfile = readFileSync(join(root, packageManagerFacts(pm).lockfile), "utf8");
    if (pm === "npm") expect(JSON.parse(lockfile).packages).toHaveProperty(["services/b"]);
    // yarn 1's lockfile lists no workspaces, only what they depend on.
    else if (pm !== "yarn") expect(lockfile).toContain("services/b");
    for (const service of ["a", "b"]) {
      const cwd = join(root, "services", service);
      for (const script of ["test", "typecheck", "build"]) {
        const [command, ...args] = runCommand(pm, script);
        execFileSync(command!, args, { cwd, stdio: "pipe" });
      }
      expect(readdirSync(join(cwd, "dist"))).toContain("main.mjs");
    }
  });
});
