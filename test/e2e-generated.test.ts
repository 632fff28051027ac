import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli } from "../test-support/built-cli.js";
import { startNatsServer, type NatsServer } from "../test-support/nats-server.js";

/*
 * The real thing, as a user would do it: pack the runtime, run the built CLI, install from the
 * registry, run the generated project's own scripts, then run its bundle and its executable against
 * a nats-server with user and password. Slow (npm install, a ~100 MB executable): one project is
 * generated for the whole file.
 */

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const FIVE = ["NATS_URL", "NATS_USER", "NATS_PASSWORD", "SERVICE_NAME", "DATA_DIR"] as const;
const USER = "ground";
const PASSWORD = `pw-${randomBytes(8).toString("hex")}`;
const NAME = "e2e-thermal";
const MINUTE = 60_000;
/** The generated publisher's subject (--publish, every 500 ms). */
const PUBLISHED = "thermal.reading";

let work: string;
let project: string;
let nats: NatsServer;
let nc: NatsConnection;
const children = new Set<ChildProcess>();

interface Result {
  code: number | string;
  output: string;
}

/**
 * The test runner's environment without the five variables (nothing configures a service by
 * accident), without npm's and vitest's own variables (the generated project's npm and vitest are
 * separate runs), and without colours (output is matched).
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if ((FIVE as readonly string[]).includes(key) || /^(npm_|VITEST|FORCE_COLOR$|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1" };
}

/** Runs a command to its end; never throws, so a failing step shows its output in the assertion. */
async function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const child = spawn(command, args, { cwd: options.cwd ?? project, env: options.env ?? baseEnv(), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  children.delete(child);
  return { code: code ?? signal ?? "unknown", output };
}

async function npm(...args: string[]): Promise<Result> {
  return run("npm", args);
}

function expectSuccess(result: Result, step: string): void {
  expect(result.code, `${step} failed:\n${result.output}`).toBe(0);
}

interface Running {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | string>;
}

/** Starts the service (bundle or executable) with exactly these variables (plus PATH). */
function startService(command: string[], vars: Record<string, string>): Running {
  const child = spawn(command[0]!, command.slice(1), { cwd: project, env: { PATH: process.env["PATH"], ...vars }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stdout!.resume();
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => {
    children.delete(child);
    return (code ?? signal) as number | string;
  });
  return { child, stderr: () => stderr, exited };
}

function serviceVars(serviceName: string, dataDir = join(work, "data")): Record<string, string> {
  return { NATS_URL: nats.url, NATS_USER: USER, NATS_PASSWORD: PASSWORD, SERVICE_NAME: serviceName, DATA_DIR: dataDir };
}

interface Health {
  errors: number;
  service: string;
  name: string;
}

/** Asks __telestion__/health until the named service answers (every service on the bus answers). */
async function health(serviceName: string, running?: Running, timeoutMs = 20_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running && running.child.exitCode !== null) throw new Error(`the service exited: ${running.stderr()}`);
    const report = await askHealth(serviceName, 500);
    if (report) return report;
    await sleep(100);
  }
  throw new Error(`${serviceName} did not answer __telestion__/health within ${timeoutMs} ms: ${running?.stderr() ?? ""}`);
}

/** One health request; resolves to the named service's answer, or undefined after `boundMs`. */
function askHealth(serviceName: string, boundMs: number): Promise<Health | undefined> {
  return new Promise((resolve) => {
    const inbox = `_INBOX.e2e.${randomBytes(6).toString("hex")}`;
    const timer = setTimeout(() => {
      sub.unsubscribe();
      resolve(undefined);
    }, boundMs);
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return;
        let report: Health;
        try {
          report = msg.json<Health>();
        } catch {
          return; // e.g. the server's empty "no responders" status before any service is up
        }
        if (report.name !== serviceName) return;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(report);
      },
    });
    nc.publish("__telestion__/health", new Uint8Array(0), { reply: inbox });
  });
}

/** The queue groups of every subscription on `subject`, from nats-server's monitoring endpoint. */
async function queueGroups(subject: string): Promise<Array<string | undefined>> {
  const response = await fetch(`${nats.monitorUrl}/subsz?subs=1&limit=1024`);
  const body = (await response.json()) as { subscriptions_list?: Array<{ subject: string; qgroup?: string }> };
  return (body.subscriptions_list ?? []).filter((s) => s.subject === subject).map((s) => s.qgroup);
}

/** The bodies published on `subject` during `ms` milliseconds, from when the subscription is in place. */
async function received(subject: string, ms: number): Promise<unknown[]> {
  const bodies: unknown[] = [];
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) bodies.push(msg.json());
    },
  });
  await nc.flush();
  await sleep(ms);
  sub.unsubscribe();
  return bodies;
}

/** Waits until the server has a connection named `name` (a service's health thread: "<SERVICE_ID> (health)"). */
async function connection(name: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${nats.monitorUrl}/connz?limit=1024`)).json()) as { connections?: Array<{ name?: string }> };
    if (body.connections?.some((c) => c.name === name)) return;
    if (Date.now() > deadline) throw new Error(`no connection named "${name}" within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function stop(running: Running): Promise<number | string> {
  running.child.kill("SIGTERM");
  return running.exited;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "e2e-generated-"));
  project = join(work, NAME);
  // A folder above with a vitest config of its own (a monorepo root, say): the project must use its own.
  writeFileSync(join(work, "vitest.config.mjs"), 'export default { test: { include: ["nothing-here/**"] } };\n');

  // The runtime as it would be published (its prepack builds it), and the CLI as it would be run.
  const pack = await run("npm", ["pack", "--workspace", "runtime", "--pack-destination", work], { cwd: ROOT });
  expectSuccess(pack, "npm pack --workspace runtime");
  const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"));
  expect(tarball, pack.output).toBeDefined();
  const bin = builtCli();

  const cli = await run(
    process.execPath,
    [bin, NAME, "--yes", "--no-install", "--no-git", "--runtime", join(work, tarball!),
      "--subscribe", "sensors.temperature", "--reply", "heater.set", "--publish", `${PUBLISHED}@500ms`],
    { cwd: work },
  );
  expectSuccess(cli, "create-telestion-service");

  // npm install writes package-lock.json; npm ci then installs from it, as the Dockerfile does.
  expectSuccess(await npm("install", "--no-audit", "--no-fund"), "npm install");
  expectSuccess(await npm("ci", "--no-audit", "--no-fund"), "npm ci");

  nats = await startNatsServer({ auth: { user: USER, password: PASSWORD }, monitor: true });
  nc = await connect({ servers: nats.url, user: USER, pass: PASSWORD });
}, 15 * MINUTE);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await nc?.close();
  await nats?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a generated project", () => {
  it("passes its own typecheck, lint and tests", async () => {
    expectSuccess(await npm("run", "typecheck"), "npm run typecheck");
    expectSuccess(await npm("run", "lint"), "npm run lint");
    // Its lint is type-aware: a forgotten await is caught before it runs.
    const forgotten = join(project, "src/handlers/forgotten-await.ts");
    writeFileSync(
      forgotten,
      'import type { Service } from "telestion-runtime";\n\nexport function ask(service: Service): void {\n  service.request("time.now", "");\n}\n',
    );
    const lint = await npm("run", "lint");
    rmSync(forgotten);
    expect(lint.code).not.toBe(0);
    expect(lint.output).toMatch(/forgotten-await\.ts[\s\S]*no-floating-promises/);
    const test = await npm("test");
    expectSuccess(test, "npm test");
    expect(test.output).toMatch(/Tests\s+\S*\s*[1-9]\d* passed/);
  }, 5 * MINUTE);

  it("builds self-contained bundles and a standalone executable", async () => {
    expectSuccess(await npm("run", "build"), "npm run build");
    for (const file of ["main.mjs", "health.mjs", "log-sink.mjs"]) expect(existsSync(join(project, "dist", file)), file).toBe(true);
    expect(readFileSync(join(project, "dist/main.mjs"), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
    const buildExe = await npm("run", "build:exe");
    expectSuccess(buildExe, "npm run build:exe");
    // postject's harmless '.note' warnings are left out (one line says so), its work folder removed.
    expect(buildExe.output).not.toMatch(/Can't find string offset/);
    expect(existsSync(join(project, "dist", "sea"))).toBe(false);
    const exe = statSync(join(project, "dist", NAME));
    expect(exe.mode & 0o111).not.toBe(0);
    expect(exe.size).toBeGreaterThan(10_000_000); // a Node.js binary with the service inside
  }, 5 * MINUTE);
});

describe.each([
  ["the bundle", () => [process.execPath, "dist/main.mjs"]],
  ["the executable", () => [join(project, "dist", NAME)]],
])("%s", (_label, command) => {
  it("answers --version with package.json's version and --help with the usage, without configuration", async () => {
    const [program, ...args] = command();
    const { version } = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { version: string };
    expect(await run(program!, [...args, "--version"])).toEqual({ code: 0, output: `${version}\n` });
    const help = await run(program!, [...args, "--help"]);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/^Usage: \S+ \[--dev\] \[--KEY=value …\]\n[\s\S]*NATS_PASSWORD/);
  });

  it("answers health, subscribes in queue group SERVICE_NAME, survives malformed bodies, stops on SIGTERM", async () => {
    const serviceName = `e2e-${randomBytes(3).toString("hex")}`;
    const service = startService(command(), serviceVars(serviceName));
    const first = await health(serviceName, service);
    expect(first).toMatchObject({ errors: 0, name: serviceName });
    expect(first.service).toMatch(new RegExp(`^${serviceName}-`));

    expect(await queueGroups("sensors.temperature")).toEqual([serviceName]);
    expect(await queueGroups("heater.set")).toEqual([serviceName]);

    // Malformed input of both kinds the standard names, to the subscription and to the request handler.
    nc.publish("sensors.temperature", new TextEncoder().encode("{not json"));
    nc.publish("sensors.temperature", randomBytes(256));
    nc.publish("sensors.temperature", new TextEncoder().encode(JSON.stringify({ value: "hot" })));
    const bad = await nc.request("heater.set", randomBytes(64), { timeout: 2_000 });
    expect(bad.headers?.get("Nats-Service-Error")).toMatch(/heater\.set/);
    const good = await nc.request("heater.set", new TextEncoder().encode(JSON.stringify({ command: "on" })), { timeout: 2_000 });
    expect(good.json()).toEqual({ accepted: true, command: "on", args: [] });

    const after = await health(serviceName, service);
    expect(after.service).toBe(first.service); // the same process, still running
    // The three bodies the subscription refused; the refused request is the client's error (400), not the service's.
    expect(after.errors).toBe(3);
    // Health comes from the runtime's thread with its own connection, not from the main thread's fallback.
    await connection(`${first.service} (health)`);
    expect(service.stderr()).not.toMatch(/health is answered on the main thread/);

    expect(await stop(service)).toBe(0);
  }, 2 * MINUTE);

  it.each(FIVE)("without %s exits non-zero with one line naming it", async (missing) => {
    const vars: Record<string, string> = serviceVars(`e2e-missing`);
    delete vars[missing];
    const service = startService(command(), vars);
    const code = await service.exited;
    expect(code).not.toBe(0);
    const lines = service.stderr().trimEnd().split("\n");
    expect(lines, service.stderr()).toHaveLength(1);
    expect(lines[0]).toContain(missing);
  }, MINUTE);
});

describe("the generated publisher", () => {
  it("publishes a validated reading on its subject every 500 ms, and stops on SIGTERM", async () => {
    expect(readFileSync(join(project, "src/main.ts"), "utf8")).toContain(`service.publishEvery("${PUBLISHED}", 500, readThermalReading);`);
    const serviceName = `e2e-${randomBytes(3).toString("hex")}`;
    const service = startService([process.execPath, "dist/main.mjs"], serviceVars(serviceName));
    await health(serviceName, service);
    const bodies = await received(PUBLISHED, 2_500);
    // 5 in 2.5 s at 500 ms; room for a loaded machine below, and above for a tick published as the
    // window opened, but a timer that bursts to catch up (or publishes twice a tick) goes over.
    expect(bodies.length, JSON.stringify(bodies)).toBeGreaterThanOrEqual(3);
    expect(bodies.length, JSON.stringify(bodies)).toBeLessThanOrEqual(7);
    // What the template's schema promises, and the subscription template's schema reads.
    for (const body of bodies) expect(body).toEqual({ value: expect.any(Number), unit: "degC" });
    for (const { value } of bodies as Array<{ value: number }>) expect(value).toBeGreaterThanOrEqual(20);
    for (const { value } of bodies as Array<{ value: number }>) expect(value).toBeLessThanOrEqual(22);
    expect((await health(serviceName, service)).errors).toBe(0);

    expect(await stop(service)).toBe(0);
    // Stopped with the service: nothing more on the subject.
    expect(await received(PUBLISHED, 1_200)).toEqual([]);
  }, 2 * MINUTE);
});

describe("the bundled health probe and log sink", () => {
  it("the probe exits 0 for a running service and 1 for an absent one; the sink writes service.log data", async () => {
    const serviceName = `e2e-${randomBytes(3).toString("hex")}`;
    const dataDir = join(work, "sink-data");
    const service = startService([process.execPath, "dist/main.mjs"], serviceVars(serviceName, dataDir));
    const sink = startService([process.execPath, "dist/log-sink.mjs"], serviceVars("log-sink", dataDir));
    await health(serviceName, service);
    await health("log-sink", sink);

    const probe = (name: string) => run(process.execPath, ["dist/health.mjs"], { env: { PATH: process.env["PATH"], ...serviceVars(name) } });
    expectSuccess(await probe(serviceName), "the health probe");
    const absent = await probe("nobody-here");
    expect(absent.code).toBe(1);
    expect(absent.output).toMatch(/unhealthy/);

    nc.publish("sensors.temperature", new TextEncoder().encode(JSON.stringify({ value: 21.5, unit: "degC" })));
    const file = join(dataDir, "logs", "sensors-temperature.log");
    const deadline = Date.now() + 10_000;
    while (!(existsSync(file) && readFileSync(file, "utf8").includes("21.5")) && Date.now() < deadline) await sleep(50);
    expect(readFileSync(file, "utf8")).toContain('"unit":"degC"');

    expect(await stop(service)).toBe(0);
    expect(await stop(sink)).toBe(0);
  }, 2 * MINUTE);
});

describe("first minutes, as the README says", () => {
  it("npm run check: telestion check passes the built service against the standard", async () => {
    const check = await npm("run", "check");
    expectSuccess(check, "npm run check");
    expect(check.output).toMatch(/PASS health /);
    expect(check.output).toMatch(/PASS queue-groups /);
    expect(check.output).not.toMatch(/^FAIL /m);
  }, 3 * MINUTE);

  it("the README's telestion commands work against the service run with --dev", async () => {
    // --dev means NATS on localhost:4222 without credentials; a test cannot take that port, so NATS_URL
    // (which ranks above --dev's defaults) points the service and the commands at a server of the test's.
    const open = await startNatsServer();
    const env = { ...baseEnv(), NATS_URL: open.url };
    const service = spawn(process.execPath, ["dist/main.mjs", "--dev"], { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(service);
    let sink: ChildProcess | undefined;
    try {
      const readme = readFileSync(join(project, "README.md"), "utf8");
      const block = /talk to it[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
      const commands = block.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
      expect(commands.map((command) => command.split(" ").slice(0, 3).join(" "))).toEqual([
        "npx telestion ls",
        "npx telestion-log-sink --dev",
        "npx telestion req",
        "npx telestion pub",
        "npx telestion logs",
      ]);
      const sh = (command: string) => run("sh", ["-c", command], { env });
      // The service has started once ls lists it.
      let ls: Result = { code: 1, output: "" };
      for (let attempt = 0; attempt < 50 && !/dev-e2e-thermal/.test(ls.output); attempt++) ls = await sh(commands[0]!);
      expectSuccess(ls, commands[0]!);
      expect(ls.output).toContain("dev-e2e-thermal");

      sink = spawn("sh", ["-c", `exec ${commands[1]!}`], { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
      children.add(sink);
      await new Promise<void>((resolve, reject) => {
        let output = "";
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (/writing to/.test(output)) resolve();
        };
        sink!.stdout!.on("data", onData);
        sink!.stderr!.on("data", onData);
        sink!.once("exit", (code) => reject(new Error(`the log sink exited (${code}): ${output}`)));
      });

      const req = await sh(commands[2]!);
      expectSuccess(req, commands[2]!);
      expect(req.output).toContain('"accepted":true');
      expectSuccess(await sh(commands[3]!), commands[3]!);
      let logs: Result = { code: 1, output: "" };
      for (let attempt = 0; attempt < 50 && !/sensors-temperature/.test(logs.output); attempt++) {
        logs = await sh(commands[4]!);
        if (!/sensors-temperature/.test(logs.output)) await sleep(100);
      }
      expectSuccess(logs, commands[4]!);
      expect(logs.output).toMatch(/heater-set.*"command":"ping"/);
      expect(logs.output).toMatch(/sensors-temperature.*"value":21\.5/);
    } finally {
      sink?.kill("SIGTERM");
      service.kill("SIGTERM");
      await open.stop();
      rmSync(join(project, "data"), { recursive: true, force: true });
    }
  }, 3 * MINUTE);
});

describe("npm run generate", () => {
  it("adds handlers non-interactively; the project still typechecks, lints, passes its tests and answers on the new subject", async () => {
    const added = await npm("run", "generate", "--", "reply", "time.now");
    expectSuccess(added, "npm run generate -- reply time.now");
    // One ✔ line per action, and nothing between them (plop's spinner, when output is no terminal, printed "- " lines).
    expect(added.output.split("\n").filter((line) => /^(?:✔|- *$)/.test(line.trim()))).toEqual([
      "✔  ++ /src/handlers/time-now.ts",
      "✔  ++ /test/handlers/time-now.test.ts",
      "✔  +- /src/main.ts",
    ]);
    // plop is no dependency: the first run fetched it into npm's cache, and the next ones need no network.
    expect(existsSync(join(project, "node_modules", "plop"))).toBe(false);
    const offline = { env: { ...baseEnv(), npm_config_offline: "true" } };
    expectSuccess(await run("npm", ["run", "generate", "--", "subscribe", "telemetry.>"], offline), "offline: npm run generate -- subscribe telemetry.>");
    // State every instance keeps: no queue group, so it may overlap sensors.temperature's subscription.
    expectSuccess(await npm("run", "generate", "--", "subscribe-all", "sensors.*"), "npm run generate -- subscribe-all sensors.*");
    // A publisher, its interval given with the subject as --publish takes it.
    expectSuccess(await npm("run", "generate", "--", "publish", "clock.tick@250ms"), "npm run generate -- publish clock.tick@250ms");
    const unitless = await npm("run", "generate", "--", "publish", "clock.tock@250");
    expect(unitless.code).not.toBe(0);
    expect(unitless.output).toContain('interval "250" of publish subject "clock.tock" has no unit; write 250ms or 250s');
    for (const file of ["src/handlers/time-now.ts", "test/handlers/time-now.test.ts", "src/handlers/telemetry-all.ts", "test/handlers/telemetry-all.test.ts"]) {
      expect(existsSync(join(project, file)), file).toBe(true);
    }
    const main = readFileSync(join(project, "src/main.ts"), "utf8");
    expect(main).toContain(`service.reply("time.now", (message) => answerTimeNow(message, service));`);
    expect(main).toContain(`service.subscribe("telemetry.>", (message) => onTelemetryAll(message, service));`);
    expect(main).toContain(`service.subscribe("sensors.*", onSensorsAny, { queue: false });`);
    expect(main).toContain(`service.publishEvery("clock.tick", 250, readClockTick);`);
    expect(existsSync(join(project, "src/handlers/clock-tock.ts"))).toBe(false);

    const refused = await npm("run", "generate", "--", "reply", "time.*");
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/wildcards/);
    // The runtime's overlap rule, applied before anything is written: a second time.now handler, or a
    // wildcard that would share sensors.temperature's messages in the queue group, is refused.
    const twice = await npm("run", "generate", "--", "reply", "time.now");
    expect(twice.code).not.toBe(0);
    expect(twice.output).toMatch(/reply subject "time\.now" is given twice/);
    const overlapping = await npm("run", "generate", "--", "subscribe", "sensors.*");
    expect(overlapping.code).not.toBe(0);
    expect(overlapping.output).toMatch(/subscription subject "sensors\.temperature" and subscription subject "sensors\.\*" overlap/);
    expect(existsSync(join(project, "src/handlers/time-now-2.ts"))).toBe(false);
    expect(existsSync(join(project, "src/handlers/sensors-any-2.ts"))).toBe(false);

    expectSuccess(await npm("run", "typecheck"), "npm run typecheck");
    expectSuccess(await npm("run", "lint"), "npm run lint");
    const test = await npm("test");
    expectSuccess(test, "npm test");
    expect(test.output).toMatch(/time-now\.test\.ts/);
    expect(test.output).toMatch(/sensors-any\.test\.ts/);
    expect(test.output).toMatch(/clock-tick\.test\.ts/);

    expectSuccess(await npm("run", "build"), "npm run build");
    const serviceName = `e2e-${randomBytes(3).toString("hex")}`;
    const service = startService([process.execPath, "dist/main.mjs"], serviceVars(serviceName));
    await health(serviceName, service);
    const reply = await nc.request("time.now", new TextEncoder().encode(JSON.stringify({ command: "sync" })), { timeout: 2_000 });
    expect(reply.json()).toEqual({ accepted: true, command: "sync", args: [] });
    expect(await queueGroups("telemetry.>")).toEqual([serviceName]);
    expect(await queueGroups("sensors.*")).toEqual([undefined]);
    // 10 in 2.5 s at 250 ms, with room for load either way.
    expect((await received("clock.tick", 2_500)).length).toBeGreaterThanOrEqual(6);
    expect(await stop(service)).toBe(0);
  }, 5 * MINUTE);

  it("fetches plop from the registry the project's .npmrc names, as a mirror would be set", async () => {
    // An empty cache, so that plop must be fetched; nobody listens on port 9, so npm fails at once.
    const env = { ...baseEnv(), npm_config_cache: mkdtempSync(join(work, "npm-cache-")), npm_config_fetch_retries: "0" };
    writeFileSync(join(project, ".npmrc"), "registry=http://127.0.0.1:9/\n");
    try {
      const result = await run("npm", ["run", "generate", "--", "reply", "mirror.check"], { env });
      expect(result.code).not.toBe(0);
      expect(result.output).toContain("request to http://127.0.0.1:9/plop failed");
      expect(existsSync(join(project, "src/handlers/mirror-check.ts"))).toBe(false);
    } finally {
      rmSync(join(project, ".npmrc"));
    }
  }, MINUTE);
});
