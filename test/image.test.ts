import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageInstall, packageManagerTemplateData, runCommand, type PackageManager } from "../generators/package-manager.js";
import { HOST_MANAGERS, binDir, isInstalled } from "../test-support/host-managers.mjs";
import { REPO, builtCli } from "../test-support/built-cli.js";
import { startNatsServer, type NatsServer } from "../test-support/nats-server.js";
import { installed, lastLine, podman, podmanSetup, run, type Result } from "../test-support/podman.js";

/*
 * The generated Dockerfile and compose.yaml, built unmodified and run for real with podman (rootful,
 * no daemon). There is no Docker Hub here: scripts/make-base-image.sh makes the image the Dockerfile's
 * NODE_IMAGE default names (Debian bookworm by debootstrap + Node.js from the npm registry) and a NATS
 * image from Debian's nats-server, and podman keeps both for later runs on the same machine.
 * An npm project's image is tested in full; a pnpm, a bun and a yarn project's are built and answer health;
 * a --project of two services comes up with compose.
 * When the machine cannot run containers the tests are skipped, the reason in their name.
 */

const MINUTE = 60_000;
/** A request here makes the image's service hang its main thread for good (see beforeAll). */
const HANG_SUBJECT = "test.hang";
const NAME = "image-probe";
const USER = "ground";
const PASSWORD = `pw${randomBytes(8).toString("hex")}`;
const TAG = randomBytes(4).toString("hex");
const IMAGE = `localhost/telestion-image-test:${TAG}`;
/** compose.yaml's NATS_IMAGE: Debian's nats-server on the base, since nats:…-alpine is on Docker Hub. */
const NATS_IMAGE = "localhost/telestion-test-nats:bookworm";

const template = readFileSync(join(REPO, "templates", "service", "project", "Dockerfile.hbs"), "utf8");
const BASE_IMAGE = /^ARG NODE_IMAGE=(\S+)$/m.exec(template)?.[1] ?? "";

const skipReason = BASE_IMAGE === "" ? "the Dockerfile template has no ARG NODE_IMAGE default" : await podmanSetup(BASE_IMAGE, NATS_IMAGE);
if (skipReason) process.stderr.write(`image test skipped: ${skipReason}\n`);
const composeMissing = skipReason ?? ((await installed("podman-compose")) ? undefined : "podman-compose is not installed (apt-get install podman-compose)");

/**
 * The other managers' projects, one per version the tests install (test-support/host-managers.json:
 * pnpm 9 and 12, yarn 1 and 4, bun): the CLI runs with that version first on PATH, so it records it as
 * `packageManager`; the lockfile is made as fast as the manager can (the project's own install is the
 * package-manager e2e test's business), then the image is built unmodified and must install exactly
 * that version. yarn 1 has no lockfile-only install; and from its global cache it may take an older
 * telestion-runtime-0.1.0.tgz packed earlier on this machine and write that one's hash into yarn.lock,
 * which the image's install, with no cache, then rejects: so it gets a cache of its own.
 */
function lockfileOnly(pm: Exclude<PackageManager, "npm">, version: string): string[] {
  if (pm === "pnpm") return ["pnpm", "install", "--lockfile-only"];
  if (pm === "bun") return ["bun", "install", "--lockfile-only"];
  return version.startsWith("1.")
    ? ["yarn", "install", "--ignore-scripts", "--non-interactive", "--no-progress"]
    : ["yarn", "install", "--mode=update-lockfile"];
}
const image = (spec: string) => `${IMAGE}-${slug(spec)}`;
const slug = (spec: string) => spec.replace(/[^a-z0-9]+/g, "-").replace(/^-/, "");

let work: string;
let tarball: string;
let project: string;
let nats: NatsServer;
let nc: NatsConnection;
const containers: string[] = [];
const volumes: string[] = [];
/** Untagged images (the build stage's) that were there before this file built anything. */
let danglingBefore = new Set<string>();

/** The test runner's environment without npm's and vitest's variables (the project's npm is a run of its own). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|VITEST|INIT_CWD$)/i.test(key)));
}

function expectSuccess(result: Result, step: string): void {
  expect(result.code, `${step} failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
}

/** Starts a container of IMAGE on the host's network (where the test's nats-server listens); resolves to its id. */
async function start(args: string[], serviceName: string): Promise<string> {
  const started = await podman([
    "run", "-d", "--network", "host",
    "-e", `NATS_URL=${nats.url}`, "-e", `NATS_USER=${USER}`, "-e", `NATS_PASSWORD=${PASSWORD}`, "-e", `SERVICE_NAME=${serviceName}`,
    ...args,
  ]);
  expectSuccess(started, "podman run");
  const id = started.stdout.trim();
  containers.push(id);
  return id;
}

/** Waits until the container's output matches `pattern`; fails with its output when it exits first. */
async function waitForOutput(id: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let output = "";
  while (Date.now() < deadline) {
    const logs = await podman(["logs", id]);
    output = logs.stdout + logs.stderr;
    if (pattern.test(output)) return output;
    const state = await podman(["inspect", "--format", "{{.State.Running}}", id]);
    if (state.stdout.trim() === "false") throw new Error(`the container exited before printing ${pattern}:\n${output}`);
    await sleep(200);
  }
  throw new Error(`no ${pattern} from the container within ${timeoutMs} ms:\n${output}`);
}

interface Health {
  errors: number;
  service: string;
  name: string;
}

/** One request on __telestion__/health (every service on the bus answers); the named service's reply. */
async function askHealth(serviceName: string, connection = nc, timeoutMs = 5_000): Promise<Health> {
  const inbox = `_INBOX.image.${randomBytes(6).toString("hex")}`;
  const sub = connection.subscribe(inbox, { timeout: timeoutMs });
  connection.publish("__telestion__/health", new Uint8Array(0), { reply: inbox });
  for await (const msg of sub) {
    const report = msg.json<Health>();
    if (report.name === serviceName) {
      sub.unsubscribe();
      return report;
    }
  }
  throw new Error(`no health reply from ${serviceName}`);
}

/** Polls for a file (written by a container, so owned by uid 1000) until it has `text`. */
async function waitForFile(path: string, text: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const content = existsSync(path) ? readFileSync(path, "utf8") : "";
    if (content.includes(text)) return content;
    await sleep(200);
  }
  throw new Error(`${path} did not get ${JSON.stringify(text)} within ${timeoutMs} ms (it has: ${existsSync(path) ? readFileSync(path, "utf8") : "no such file"})`);
}

async function volumeDir(volume: string): Promise<string> {
  const inspect = await podman(["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
  expectSuccess(inspect, `podman volume inspect ${volume}`);
  return inspect.stdout.trim();
}

async function danglingImages(): Promise<Set<string>> {
  const list = await podman(["images", "-q", "--no-trunc", "--filter", "dangling=true"]);
  return new Set(list.stdout.split("\n").filter(Boolean));
}

/**
 * The .env compose reads: the credentials (compose.yaml requires the operators' password too), the test
 * NATS image, and free host ports for NATS and its WebSocket listener. Resolves to the NATS port.
 */
async function writeComposeEnv(dir: string): Promise<number> {
  const natsPort = await freePort();
  const env = [`NATS_USER=${USER}`, `NATS_PASSWORD=${PASSWORD}`, `OPERATOR_PASSWORD=op${PASSWORD}`, `NATS_IMAGE=${NATS_IMAGE}`];
  writeFileSync(join(dir, ".env"), [...env, `NATS_PORT=${natsPort}`, `NATS_WS_PORT=${await freePort()}`, ""].join("\n"));
  return natsPort;
}

/** Waits up to a minute for a compose container's HEALTHCHECK to pass; fails with its last probe and its output. */
async function expectHealthy(name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let probe = await podman(["healthcheck", "run", name]);
  while (probe.code !== 0 && Date.now() < deadline) {
    await sleep(500);
    probe = await podman(["healthcheck", "run", name]);
  }
  const logs = await podman(["logs", name]);
  expect(probe.code, `${name}: ${lastLine(probe)}\n${logs.stdout}${logs.stderr}`).toBe(0);
}

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(skipReason)(`the generated image${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "image-test-"));
    project = join(work, NAME);
    // As the README says: pack the runtime, generate with --runtime <tarball>, which lands in vendor/.
    // `npm test` built runtime/dist already; its prepack would build it again while other test files
    // pack it too.
    const pack = await run("npm", ["pack", "--ignore-scripts", "--workspace", "runtime", "--pack-destination", work], { cwd: REPO, env: cleanEnv() });
    expectSuccess(pack, "npm pack --workspace runtime");
    tarball = join(work, readdirSync(work).find((file) => file.endsWith(".tgz"))!);
    const cli = await run(
      process.execPath,
      [builtCli(), NAME, "--yes", "--no-install", "--no-git", "--runtime", tarball, "--subscribe", "sensors.temperature", "--reply", "heater.set"],
      { cwd: work, env: cleanEnv() },
    );
    expectSuccess(cli, "create-telestion-service");
    // A handler that hangs the main thread for good when asked, for the liveness case below (the
    // Dockerfile stays unmodified; only the service's code gains a registration).
    const main = join(project, "src", "main.ts");
    writeFileSync(main, readFileSync(main, "utf8").replace("  // plop:handlers", `  service.reply("${HANG_SUBJECT}", () => {\n    for (;;);\n  });\n  // plop:handlers`));
    // The Dockerfile installs with npm ci: the lockfile is the one `npm install` writes.
    expectSuccess(await run("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], { cwd: project, env: cleanEnv() }), "npm install --package-lock-only");

    danglingBefore = await danglingImages();
    const started = Date.now();
    const build = await podman(["build", "--format", "docker", "-t", IMAGE, project], { timeoutMs: 15 * MINUTE });
    expectSuccess(build, "podman build");
    process.stderr.write(`image test: ${IMAGE} built in ${Math.round((Date.now() - started) / 1000)} s\n`);

    nats = await startNatsServer({ auth: { user: USER, password: PASSWORD } });
    nc = await connect({ servers: nats.url, user: USER, pass: PASSWORD });
  }, 20 * MINUTE);

  afterAll(async () => {
    if (containers.length > 0) await podman(["rm", "-f", "-v", "-t", "0", ...containers]);
    if (volumes.length > 0) await podman(["volume", "rm", "-f", ...volumes]);
    // After the containers: `rmi -f` would remove them itself, but leave their anonymous volumes behind.
    await podman(["rmi", "-f", IMAGE, ...HOST_MANAGERS.map(({ spec }) => image(spec))]);
    // The build stages' images: ~0.5 GB a run on a machine that keeps its images for the next.
    const mine = [...(await danglingImages())].filter((id) => !danglingBefore.has(id));
    if (mine.length > 0) await podman(["rmi", "-f", ...mine]);
    await nc?.close();
    await nats?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, MINUTE);

  it("keeps its HEALTHCHECK (Docker format), probing every few seconds, and runs as the node user", async () => {
    // podman image inspect does not show the health check; a container made from the image carries it.
    const created = await podman(["create", IMAGE]);
    expectSuccess(created, "podman create");
    containers.push(created.stdout.trim());
    const config = await podman(["container", "inspect", "--format", "{{json .Config}}", created.stdout.trim()]);
    expectSuccess(config, "podman container inspect");
    const { Healthcheck, User, Env } = JSON.parse(config.stdout) as { Healthcheck?: { Test: string[]; Interval: number }; User: string; Env: string[] };
    expect(Healthcheck?.Test).toEqual(["CMD", "node", "dist/health.mjs"]);
    expect(Healthcheck!.Interval / 1e9).toBeLessThanOrEqual(5);
    expect(User).toBe("node");
    expect(Env).toContain("DATA_DIR=/data");
  });

  it("starts, answers health, is healthy by its HEALTHCHECK, runs as uid 1000, and exits 0 on SIGTERM within 10 s", async () => {
    const volume = `telestion-image-test-${TAG}`;
    volumes.push(volume);
    const id = await start(["-v", `${volume}:/data`, IMAGE], NAME);
    await waitForOutput(id, /is running/);

    expect(await askHealth(NAME)).toMatchObject({ errors: 0, name: NAME });
    const probe = await podman(["healthcheck", "run", id]);
    expect(probe.code, lastLine(probe)).toBe(0);
    expect((await podman(["inspect", "--format", "{{.State.Health.Status}}", id])).stdout.trim()).toBe("healthy");
    expect((await podman(["exec", id, "id", "-u"])).stdout.trim()).toBe("1000");
    // A new volume takes the owner of the image's /data: writable by the node user.
    expect(statSync(await volumeDir(volume)).uid).toBe(1000);

    const signalled = Date.now();
    expectSuccess(await podman(["kill", "--signal", "TERM", id]), "podman kill --signal TERM");
    const wait = await podman(["wait", id], { timeoutMs: 15_000 });
    const seconds = (Date.now() - signalled) / 1000;
    expect(wait.stdout.trim(), `exit code after SIGTERM; output:\n${(await podman(["logs", id])).stderr}`).toBe("0");
    expect(seconds).toBeLessThan(10);
  }, 2 * MINUTE);

  it("runs the log sink (docker run --entrypoint node … dist/log-sink.mjs), which writes DATA_DIR/logs/<category>.log on the volume", async () => {
    const volume = `telestion-image-test-${TAG}-logs`;
    volumes.push(volume);
    const id = await start(["-v", `${volume}:/data`, "--entrypoint", "node", IMAGE, "--enable-source-maps", "dist/log-sink.mjs"], "log-sink");
    await waitForOutput(id, /writing to/);
    expect((await podman(["healthcheck", "run", id])).code).toBe(0);

    const line = `reading ${randomBytes(4).toString("hex")}`;
    nc.publish("__telestion__/log/image-test", JSON.stringify({ line }));
    await nc.flush();
    await waitForFile(join(await volumeDir(volume), "logs", "image-test.log"), line);
  }, 2 * MINUTE);

  it("of two containers of one SERVICE_NAME (no SERVICE_ID), the one whose main thread hangs fails its HEALTHCHECK and --live within 15 s, the other passes", async () => {
    const name = "image-hang";
    const pair = [await start([IMAGE], name), await start([IMAGE], name)];
    for (const id of pair) await waitForOutput(id, /is running/);
    const probe = async (id: string, ...args: string[]) =>
      (args.length === 0 ? podman(["healthcheck", "run", id]) : podman(["exec", id, "node", "dist/health.mjs", ...args])).then((r) => r.code === 0);
    for (const id of pair) expect(await probe(id), `${id} healthy before the hang`).toBe(true);

    // The queue group hands the request to one of them, whose main thread then spins for good; its health thread goes on answering.
    nc.publish(HANG_SUBJECT, new Uint8Array(0));
    await nc.flush();
    const hungAt = Date.now();
    const failing: string[] = [];
    let failedAfterMs = Infinity;
    while (failing.length === 0 && Date.now() - hungAt < 25_000) {
      await sleep(1_000);
      for (const id of pair) {
        const asked = Date.now();
        if (!(await probe(id))) {
          failing.push(id);
          failedAfterMs = Math.min(failedAfterMs, asked - hungAt);
        }
      }
    }
    expect(failing, "exactly one instance fails its own HEALTHCHECK").toHaveLength(1);
    expect(failedAfterMs, "the hung instance's HEALTHCHECK fails within 15 s").toBeLessThan(15_000);
    const hung = failing[0]!;
    const other = pair.find((id) => id !== hung)!;
    expect(await probe(hung, "--live"), "the hung instance's --live probe (no NATS)").toBe(false);
    expect(await probe(other), "the sibling's HEALTHCHECK").toBe(true);
    expect(await probe(other, "--live"), "the sibling's --live probe").toBe(true);
  }, 2 * MINUTE);

  it("stops at start with one line when a bind-mounted DATA_DIR is not writable by uid 1000", async () => {
    const hostDir = join(work, "root-owned-data");
    mkdirSync(hostDir, { mode: 0o755 }); // the test runs as root: uid 1000 may read, not write
    const result = await podman([
      "run", "--rm", "--network", "host", "-e", `NATS_URL=${nats.url}`, "-e", `NATS_USER=${USER}`, "-e", `NATS_PASSWORD=${PASSWORD}`,
      "-e", `SERVICE_NAME=${NAME}`, "-v", `${hostDir}:/data`, IMAGE,
    ], { timeoutMs: MINUTE });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\/data/);
  }, 2 * MINUTE);

  describe("of a pnpm, bun or yarn project, with each version the tests install", () => {
    for (const manager of HOST_MANAGERS) {
      const { pm, spec } = manager;
      const missing = isInstalled(manager) ? undefined : `${spec} is not installed (node test-support/install-managers.mjs)`;
      it.skipIf(missing)(`${spec}: builds unmodified with exactly the version that created the project (recorded as packageManager up to pnpm 11), starts, answers health, is healthy${missing ? ` (skipped: ${missing})` : ""}`, async () => {
        // One after the other: on two cores, builds side by side took longer in all than in turn.
        const name = `image-${slug(spec)}`;
        const dir = join(work, name);
        const env = { ...cleanEnv(), PATH: `${binDir(spec)}${delimiter}${process.env.PATH}`, YARN_CACHE_FOLDER: join(work, "yarn-cache"), YARN_ENABLE_IMMUTABLE_INSTALLS: "false" };
        const version = (await run(pm, ["--version"], { env })).stdout.trim();
        const cli = await run(process.execPath, [builtCli(), name, "--yes", "--no-install", "--no-git", "--package-manager", pm, "--runtime", tarball, "--reply", "heater.set"], { cwd: work, env });
        expectSuccess(cli, "create-telestion-service");
        // pnpm 12+ only in the Dockerfile (generators/package-manager.ts unrecordedFrom), which the build below checks.
        const recorded = packageManagerTemplateData(pm, version).packageManagerSpec;
        expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).packageManager).toBe(recorded || undefined);
        if (!(pm === "pnpm" && version.startsWith("12."))) expect(recorded).toBe(`${pm}@${version}`);
        const started = Date.now();
        const lock = lockfileOnly(pm, version);
        expectSuccess(await run(lock[0]!, lock.slice(1), { cwd: dir, env, timeoutMs: 5 * MINUTE }), lock.join(" "));
        const locked = Date.now();
        const build = await podman(["build", "--format", "docker", "-t", image(spec), dir], { timeoutMs: 15 * MINUTE });
        process.stderr.write(`image test: ${spec} (${version}): lockfile in ${Math.round((locked - started) / 1000)} s, built in ${Math.round((Date.now() - locked) / 1000)} s\n`);
        expectSuccess(build, `podman build of the ${spec} project`);
        // podman prints each step as it runs it: exactly this version of the manager, its own install and build.
        const { tool, frozenInstall } = imageInstall(pm, version);
        expect(build.stdout).toContain(`npm install -g --force --no-audit --no-fund ${tool}`);
        expect(build.stdout).toContain(`RUN ${frozenInstall.join(" ")}`);
        expect(build.stdout).toContain(`RUN ${runCommand(pm, "build").join(" ")}`);

        const id = await start([image(spec)], name);
        await waitForOutput(id, /is running/);
        expect(await askHealth(name)).toMatchObject({ errors: 0, name });
        const probe = await podman(["healthcheck", "run", id]);
        expect(probe.code, lastLine(probe)).toBe(0);
      }, 20 * MINUTE);
    }
  });

  it.skipIf(composeMissing)(`comes up with compose: NATS, the service and the log sink${composeMissing ? ` (skipped: ${composeMissing})` : ""}`, async () => {
    const composeProject = `telestion-image-test-${TAG}`;
    const natsPort = await writeComposeEnv(project);
    const compose = (...args: string[]) => run("podman-compose", ["-p", composeProject, ...args], { cwd: project, timeoutMs: 10 * MINUTE });
    try {
      expectSuccess(await compose("up", "-d", "--build"), "podman-compose up");
      for (const service of ["nats", "service", "log-sink"]) await expectHealthy(`${composeProject}_${service}_1`);

      // Through the port compose publishes: a health request to the service, a log line to the sink.
      const client = await connect({ servers: `nats://127.0.0.1:${natsPort}`, user: USER, pass: PASSWORD });
      try {
        expect(await askHealth(NAME, client)).toMatchObject({ errors: 0, name: NAME });
        expect(await askHealth("log-sink", client)).toMatchObject({ name: "log-sink" });
        const line = `compose ${randomBytes(4).toString("hex")}`;
        client.publish("__telestion__/log/compose-test", JSON.stringify({ line }));
        await client.flush();
        await waitForFile(join(await volumeDir(`${composeProject}_data`), "logs", "compose-test.log"), line);
      } finally {
        await client.close();
      }
    } finally {
      const down = await compose("down", "-v", "-t", "2");
      if (down.code !== 0) process.stderr.write(`podman-compose down: ${lastLine(down)}\n`);
      await podman(["rmi", "-f", `${composeProject}_service`, `${composeProject}_log-sink`]);
      await podman(["network", "rm", "-f", `${composeProject}_default`]); // podman-compose 1.0 leaves it
    }
  }, 10 * MINUTE);
});

/*
 * A --project of two services: a with the root, b added by running the CLI inside it, installed with
 * npm at the root. compose builds both images unmodified from the root (each Dockerfile installs only
 * its own service from the one lockfile) and runs them with NATS and the one log sink.
 */
describe.skipIf(composeMissing)(`a multi-service project${composeMissing ? ` (skipped: ${composeMissing})` : ""}`, () => {
  let projectWork: string;
  let root: string;
  let danglingBeforeProject = new Set<string>();

  beforeAll(async () => {
    projectWork = mkdtempSync(join(tmpdir(), "image-project-test-"));
    root = join(projectWork, "ground");
    const pack = await run("npm", ["pack", "--ignore-scripts", "--workspace", "runtime", "--pack-destination", projectWork], { cwd: REPO, env: cleanEnv() });
    expectSuccess(pack, "npm pack --workspace runtime");
    const runtime = join(projectWork, readdirSync(projectWork).find((file) => file.endsWith(".tgz"))!);
    const quiet = ["--yes", "--no-install", "--no-git", "--runtime", runtime, "--subscribe", ""];
    expectSuccess(await run(process.execPath, [builtCli(), "ground", "--project", "--name", "a", "--reply", "a.get", ...quiet], { cwd: projectWork, env: cleanEnv() }), "create-telestion-service --project");
    expectSuccess(await run(process.execPath, [builtCli(), "b", "--reply", "b.get", ...quiet], { cwd: root, env: cleanEnv() }), "create-telestion-service b (inside the project)");
    // The images install with npm ci from the root's lockfile, which lists both workspaces.
    expectSuccess(await run("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], { cwd: root, env: cleanEnv() }), "npm install --package-lock-only");
    danglingBeforeProject = await danglingImages();
  }, 5 * MINUTE);

  afterAll(async () => {
    const mine = [...(await danglingImages())].filter((id) => !danglingBeforeProject.has(id));
    if (mine.length > 0) await podman(["rmi", "-f", ...mine]);
    if (projectWork) rmSync(projectWork, { recursive: true, force: true });
  }, MINUTE);

  it("comes up with compose (a and b built unmodified): NATS, a, b and the log sink healthy; telestion ls lists both; each answers its subject and logs through the one sink", async () => {
    const composeProject = `telestion-image-project-${TAG}`;
    const natsPort = await writeComposeEnv(root);
    const compose = (...args: string[]) => run("podman-compose", ["-p", composeProject, ...args], { cwd: root, timeoutMs: 15 * MINUTE });
    try {
      const started = Date.now();
      expectSuccess(await compose("up", "-d", "--build"), "podman-compose up");
      process.stderr.write(`image test: the project's a, b and log sink built and started in ${Math.round((Date.now() - started) / 1000)} s\n`);
      for (const service of ["nats", "a", "b", "log-sink"]) await expectHealthy(`${composeProject}_${service}_1`);

      // The runtime's own CLI, as a user runs it against compose's NATS (configured by the environment).
      const natsEnv = { ...cleanEnv(), NATS_URL: `nats://127.0.0.1:${natsPort}`, NATS_USER: USER, NATS_PASSWORD: PASSWORD };
      const ls = await run(process.execPath, [join(REPO, "runtime", "bin", "telestion.js"), "ls", "--json", "--wait", "1500"], { cwd: projectWork, env: natsEnv });
      expectSuccess(ls, "telestion ls");
      const listed = (JSON.parse(ls.stdout) as Array<{ name: string; errors: number | null }>).map(({ name, errors }) => ({ name, errors }));
      expect(listed).toEqual(expect.arrayContaining([{ name: "a", errors: 0 }, { name: "b", errors: 0 }, { name: "log-sink", errors: 0 }]));

      const client = await connect({ servers: `nats://127.0.0.1:${natsPort}`, user: USER, pass: PASSWORD });
      try {
        const logs = join(await volumeDir(`${composeProject}_data`), "logs");
        for (const service of ["a", "b"]) {
          const command = `ping-${service}-${randomBytes(4).toString("hex")}`;
          const reply = await client.request(`${service}.get`, JSON.stringify({ command }), { timeout: 5_000 });
          expect(reply.json()).toEqual({ accepted: true, command, args: [] });
          // The reply handler logs each request: through the one sink to DATA_DIR/logs/<slug>.log on the shared volume.
          await waitForFile(join(logs, `${service}-get.log`), command);
        }
      } finally {
        await client.close();
      }
    } finally {
      const down = await compose("down", "-v", "-t", "2");
      if (down.code !== 0) process.stderr.write(`podman-compose down: ${lastLine(down)}\n`);
      await podman(["rmi", "-f", ...["a", "b", "log-sink"].map((service) => `${composeProject}_${service}`)]);
      await podman(["network", "rm", "-f", `${composeProject}_default`]); // podman-compose 1.0 leaves it
    }
  }, 15 * MINUTE);
});
