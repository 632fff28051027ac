import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import ts from "typescript";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubernetesName } from "../generators/service.js";
import { testAnswers } from "../test-support/answers.js";
import { REPO } from "../test-support/built-cli.js";
import { generate } from "../src/generate.js";

/*
 * The generated deploy/kubernetes/ checked offline (no cluster runs here): rendered with `kubectl
 * kustomize` exactly as the project's README says, every object validated against the Kubernetes API
 * schema (kubernetes-models), and the properties the README promises asserted on the rendered objects.
 * Without kubectl (Debian: apt-get install kubernetes-client) the tests are skipped, the reason in their name.
 */

const run = promisify(execFile);

/** A scoped name with `_`: the package's SERVICE_NAME and image keep it, Kubernetes names cannot. */
const NAME = "@wuespace/thermal_unit";
const SERVICE_NAME = "thermal_unit";
const K8S_NAME = "thermal-unit";
/** What a user following the Compose section has in .env: it must never reach what kustomize renders. */
const ENV_PASSWORD = "pwb1946ac92492d2347c6235b4d2611184";

async function kubectlMissing(): Promise<string | undefined> {
  try {
    await run("kubectl", ["version", "--client"]);
    return undefined;
  } catch {
    return "kubectl is not installed (Debian: apt-get install kubernetes-client)";
  }
}
const skipReason = await kubectlMissing();
if (skipReason) process.stderr.write(`kubernetes test skipped: ${skipReason}\n`);

/** The project README's "Scale out on Kubernetes" section. */
function readmeSection(readme: string): string {
  const section = /^## Scale out on Kubernetes\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Scale out on Kubernetes" section');
  return section;
}

/** The commands of the section's shell block, `\` continuations joined. */
function readmeCommands(section: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The one README command that starts with `prefix`, split into words (none of them is quoted). */
function command(commands: string[], prefix: string): string[] {
  const found = commands.filter((line) => line.startsWith(prefix));
  expect(found, `the README's commands starting with "${prefix}"`).toHaveLength(1);
  return found[0]!.split(/\s+/);
}

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

/** Problems kubernetes-models' validation finds (types, required fields, formats), as `Kind/name: …` lines. */
async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const module = (await import(/* @vite-ignore */ `kubernetes-models/${object.apiVersion}/${object.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
    try {
      new module[object.kind]!(object).validate();
    } catch (err) {
      problems.push(`${object.kind}/${object.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Fields the Kubernetes API does not know (a `readinesProbe`), which kubernetes-models' validation lets
 * pass and the API server refuses: each object as an object literal typed with kubernetes-models'
 * interface for its kind, through TypeScript's excess property check. One `Kind/name: …` line each.
 */
function unknownFields(objects: K8sObject[]): string[] {
  const file = join(REPO, "kubernetes-objects.check.ts"); // in the repository, so that node_modules resolves
  const text = objects
    .map((o, i) => `import type { I${o.kind} as T${i} } from "kubernetes-models/${o.apiVersion}/${o.kind}"; export const o${i}: T${i} = ${JSON.stringify(o)};`)
    .join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  return ts.getPreEmitDiagnostics(ts.createProgram([file], options, host)).map((d) => {
    const object = d.file && d.start !== undefined ? objects[d.file.getLineAndCharacterOfPosition(d.start).line] : undefined;
    return `${object ? `${object.kind}/${object.metadata.name}` : "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

/** The runtime's bound for running handlers when stopping (service.stop's default timeoutMs), in ms. */
function drainBoundMs(): number {
  const source = readFileSync(join(REPO, "runtime", "src", "service.ts"), "utf8");
  const bound = /this\.#stop\(options\.timeoutMs \?\? ([\d_]+)\)/.exec(source)?.[1];
  if (bound === undefined) throw new Error("runtime/src/service.ts: service.stop's default timeoutMs not found; update drainBoundMs()");
  return Number(bound.replaceAll("_", ""));
}

/** Every `{ name, key }` of a secretKeyRef anywhere below `value`. */
function secretRefs(value: unknown): Array<{ name: string; key: string }> {
  if (Array.isArray(value)) return value.flatMap(secretRefs);
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  const own = record.secretKeyRef ? [record.secretKeyRef as { name: string; key: string }] : [];
  return [...own, ...Object.values(record).flatMap(secretRefs)];
}

/** Leaf paths of a YAML value (`config.cluster.enabled`), stopping at the keys in `freeForm`. */
function leafPaths(value: unknown, freeForm: string[], prefix = ""): string[] {
  if (freeForm.includes(prefix) || value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => leafPaths(inner, freeForm, prefix ? `${prefix}.${key}` : key));
}

/**
 * The values nats-values.yaml may set: keys the official chart's values.yaml documents (nats-io/k8s,
 * helm/charts/nats, chart 2.14), where `config.merge` (NATS configuration) and `container.env` (a map
 * of variables) take anything.
 */
const NATS_CHART_KEYS = ["config.cluster.enabled", "config.cluster.replicas", "config.websocket.enabled", "config.websocket.port", "config.merge", "container.env"];

describe.skipIf(skipReason)(`deploy/kubernetes${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let dir: string;
  let project: string;
  let section: string;
  let commands: string[];
  let rendered: string;
  let objects: K8sObject[];
  const ofKind = <T>(kind: string) => objects.filter((o) => o.kind === kind) as unknown as T[];
  const deployment = (name: string): IDeployment => {
    const found = ofKind<IDeployment>("Deployment").find((d) => d.metadata?.name === name);
    if (!found) throw new Error(`no Deployment ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
    return found;
  };
  const podOf = (d: IDeployment): IPodSpec => d.spec!.template.spec!;
  const containerOf = (d: IDeployment): IContainer => podOf(d).containers[0]!;
  /** The name of the Secret the README creates, and its keys. */
  const readmeSecret = () => {
    const words = command(commands, "kubectl create secret generic ");
    const keys = words.filter((w) => w.startsWith("--from-literal=")).map((w) => w.slice("--from-literal=".length).split("=")[0]!);
    return { name: words[4]!, keys };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kubernetes-test-"));
    project = join(dir, "svc");
    await generate(
      testAnswers({ name: NAME, subscribe: ["a.b"] }),
      project,
    );
    writeFileSync(join(project, ".env"), `NATS_USER=service\nNATS_PASSWORD=${ENV_PASSWORD}\n`);
    section = readmeSection(readFileSync(join(project, "README.md"), "utf8"));
    commands = readmeCommands(section);
    // The README's command as written, in the project folder.
    const [kubectl, ...args] = command(commands, "kubectl kustomize ");
    rendered = (await run(kubectl!, args, { cwd: project })).stdout;
    objects = parseAllDocuments(rendered).map((doc) => doc.toJS() as K8sObject);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("renders with the README's `kubectl kustomize`: the NATS ConfigMap, the data volume, the service and the log sink", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      expect.stringMatching(/^ConfigMap\/telestion-nats-[a-z0-9]+$/),
      "Deployment/log-sink",
      `Deployment/${K8S_NAME}`,
      "PersistentVolumeClaim/telestion-data",
    ]);
    // `kubectl apply -k` applies the same folder.
    expect(command(commands, "kubectl apply ")).toEqual(["kubectl", "apply", "-k", command(commands, "kubectl kustomize ")[2]]);
  });

  it("every object is valid against the Kubernetes API schema, without unknown fields", async () => {
    expect(await schemaProblems(objects)).toEqual([]);
    expect(unknownFields(objects)).toEqual([]);
    // Both checks can fail: a copy of the service's Deployment with a wrong type, one with a misspelt field.
    const wrongType = structuredClone(deployment(K8S_NAME));
    (wrongType.spec as { replicas: unknown }).replicas = "2";
    expect(await schemaProblems([wrongType as unknown as K8sObject])).toEqual([expect.stringContaining("replicas must be integer")]);
    const misspelt = structuredClone(deployment(K8S_NAME));
    (containerOf(misspelt) as unknown as Record<string, unknown>).readinesProbe = {};
    expect(unknownFields([misspelt as unknown as K8sObject])).toEqual([expect.stringContaining(`'"readinesProbe"' does not exist`)]);
  });

  it("the service: 2 instances, never fewer during a rollout, each with its pod's name as SERVICE_ID", () => {
    const service = deployment(K8S_NAME);
    expect(service.spec?.replicas).toBe(2);
    expect(service.spec?.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const container = containerOf(service);
    expect(container.image).toBe(`${SERVICE_NAME}:0.1.0`);
    // The README pushes the tag that kustomization.yaml's images: entry names.
    const pushed = command(commands, "docker build ")[3]!;
    expect(pushed).toMatch(new RegExp(`/${SERVICE_NAME}:0\\.1\\.0$`));
    expect(container.command).toBeUndefined(); // the image's ENTRYPOINT: dist/main.mjs
    const env = envOf(container);
    expect(env.SERVICE_NAME).toEqual({ value: SERVICE_NAME });
    expect(env.SERVICE_ID).toEqual({ valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    expect(env.DATA_DIR).toEqual({ value: "/data" });
    // The README's `kubectl scale` names this Deployment.
    expect(section).toContain(`\`kubectl scale deployment/${K8S_NAME} `);
  });

  it.each([K8S_NAME, "log-sink"])("%s: readiness through NATS, liveness without, locked down, stops within its grace period", (name) => {
    const pod = podOf(deployment(name));
    const container = pod.containers[0]!;
    expect(container.readinessProbe?.exec?.command).toEqual(["node", "dist/health.mjs"]);
    expect(container.livenessProbe?.exec?.command).toEqual(["node", "dist/health.mjs", "--live"]);
    expect(container.startupProbe?.exec?.command).toEqual(["node", "dist/health.mjs", "--live"]);
    // The probes give up by themselves after 2.5 s: a shorter timeout would fail a slow start of node.
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      expect(probe?.timeoutSeconds).toBeGreaterThan(2.5);
    }

    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    // With a read-only root, the alive file that --live reads needs a writable /tmp.
    const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();

    expect(container.resources?.requests).toEqual({ cpu: "100m", memory: "128Mi" });
    expect(container.resources?.limits).toEqual({ memory: "384Mi" });
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(drainBoundMs());
  });

  it("the log sink: the same image as dist/log-sink.mjs, one instance replaced by stopping it first", () => {
    const sink = deployment("log-sink");
    expect(sink.spec?.replicas).toBe(1);
    expect(sink.spec?.strategy).toEqual({ type: "Recreate" });
    const container = containerOf(sink);
    expect(container.image).toBe(containerOf(deployment(K8S_NAME)).image);
    expect(container.command).toEqual(["node", "--enable-source-maps", "dist/log-sink.mjs"]);
    const env = envOf(container);
    expect(env.SERVICE_NAME).toEqual({ value: "log-sink" });
    expect(env.SERVICE_ID).toEqual({ valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
  });

  it("DATA_DIR is one ReadWriteMany volume that every pod mounts there", () => {
    const claims = ofKind<IPersistentVolumeClaim>("PersistentVolumeClaim");
    expect(claims).toHaveLength(1);
    expect(claims[0]!.spec?.accessModes).toEqual(["ReadWriteMany"]);
    for (const d of ofKind<IDeployment>("Deployment")) {
      const container = containerOf(d);
      const mount = container.volumeMounts?.find((m) => m.mountPath === envOf(container).DATA_DIR?.value);
      expect(podOf(d).volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim).toEqual({ claimName: claims[0]!.metadata?.name });
    }
  });

  it("the credentials: references to the Secret the README creates, and no password in what is rendered", () => {
    const secret = readmeSecret();
    expect(secret.keys).toEqual(expect.arrayContaining(["NATS_USER", "NATS_PASSWORD"]));
    expect(ofKind("Secret")).toEqual([]);
    for (const d of ofKind<IDeployment>("Deployment")) {
      const env = envOf(containerOf(d));
      for (const key of ["NATS_USER", "NATS_PASSWORD"]) expect(env[key]).toEqual({ valueFrom: { secretKeyRef: { name: secret.name, key } } });
    }
    for (const ref of secretRefs(objects)) expect(ref).toEqual({ name: secret.name, key: expect.toBeOneOf(secret.keys) });
    // Only NATS_URL is configuration in plain sight; the .env beside the project stays out.
    expect(ofKind<IConfigMap>("ConfigMap").map((o) => o.data)).toEqual([{ NATS_URL: expect.any(String) }]);
    expect(rendered).not.toContain(ENV_PASSWORD);
  });

  it("NATS_URL names the Service of the README's Helm release, whose values file exists and sets what the README says", () => {
    const helm = command(commands, "helm install ");
    const [release, chart] = [helm[2], helm[3]];
    expect(chart).toBe("nats/nats");
    expect(ofKind<IConfigMap>("ConfigMap")[0]!.data).toEqual({ NATS_URL: `nats://${release}:4222` });

    const valuesFile = join(project, helm[helm.indexOf("-f") + 1]!);
    expect(existsSync(valuesFile), valuesFile).toBe(true);
    const text = readFileSync(valuesFile, "utf8");
    const values = parseYaml(text) as NatsValues;
    // Only keys the chart documents: helm ignores a misspelt one without a word.
    for (const path of leafPaths(values, ["config.merge", "container.env"])) expect(NATS_CHART_KEYS).toContain(path);
    expect(values.config.cluster).toEqual({ enabled: true, replicas: 3 });
    expect(values.config.websocket).toEqual({ enabled: true, port: 9222 });

    // Users whose credentials nats-server reads from its environment, filled from the README's Secret.
    const users = values.config.merge.authorization.users;
    expect(users.length).toBeGreaterThan(0);
    const secret = readmeSecret();
    for (const value of users.flatMap((u) => [u.user, u.password])) {
      const variable = /^<< \$(\w+) >>$/.exec(value)?.[1];
      expect(variable, `${value} is a variable`).toBeDefined();
      expect(values.container.env[variable!], `container.env.${variable}`).toEqual({ valueFrom: { secretKeyRef: { name: secret.name, key: variable } } });
      expect(secret.keys).toContain(variable);
    }
    expect(text).not.toContain(ENV_PASSWORD);
  });
});

describe.skipIf(skipReason)(`deploy/kubernetes of a service named 1984${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kubernetes-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps names that YAML would read as a number strings", async () => {
    const project = join(dir, "svc");
    await generate(
      testAnswers({ name: "1984" }),
      project,
    );
    const { stdout } = await run("kubectl", ["kustomize", "deploy/kubernetes"], { cwd: project });
    const objects = parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject);
    expect(await schemaProblems(objects)).toEqual([]);
    const service = objects.find((o) => o.kind === "Deployment" && o.metadata.name !== "log-sink") as unknown as IDeployment;
    expect(service.metadata?.name).toBe("1984");
    expect(service.spec?.template.spec?.containers[0]?.image).toBe("1984:0.1.0");
    expect(service.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "SERVICE_NAME")?.value).toBe("1984");
  });
});

describe("kubernetesName", () => {
  it("makes any npm name a DNS label: _ and . become -, letters or digits at both ends, at most 63", () => {
    expect(kubernetesName("thermal")).toBe("thermal");
    expect(kubernetesName("thermal_unit.v2")).toBe("thermal-unit-v2");
    expect(kubernetesName("x-")).toBe("x");
    expect(kubernetesName(`${"a".repeat(62)}_b`)).toBe("a".repeat(62));
    expect(kubernetesName("_")).toBe("service");
  });
});

function envOf(container: IContainer): Record<string, { value?: string; valueFrom?: unknown }> {
  return Object.fromEntries((container.env ?? []).map(({ name, ...rest }) => [name, rest]));
}

interface NatsValues {
  config: {
    cluster: unknown;
    websocket: unknown;
    merge: { authorization: { users: Array<{ user: string; password: string }> } };
  };
  container: { env: Record<string, unknown> };
}
