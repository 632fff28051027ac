import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_MANAGERS, packageManagerFacts, runCommand, type PackageManager } from "../generators/package-manager.js";
import { builtCli } from "../test-support/built-cli.js";

/*
 * Every package manager the CLI offers, as a user would use it: the built CLI generates a project
 * and installs it with that manager from the registry, then the project's own test, build and lint
 * pass when run by the same manager. And a failed install fails the run, says why, and never calls
 * the project ready. A manager missing from this machine is skipped (.ci/run installs all of them).
 */

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const MINUTE = 60_000;

let work: string;
let tarball: string;

interface Result {
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * The test runner's environment without npm's and vitest's own variables (they would tell the CLI
 * which manager launched it, and the project's vitest that it runs inside another), without colours.
 */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|FORCE_COLOR$|INIT_CWD$|NODE_OPTIONS$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false", ...extra };
}

/** Runs a command to its end; never throws, so a failing step shows its output in the assertion. */
async function run(argv: string[], cwd: string, env = baseEnv()): Promise<Result> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = (await once(child, "close")) as [number | null, string | null];
  return { code: code ?? signal ?? "unknown", stdout, stderr };
}

function expectSuccess(result: Result, step: string): void {
  expect(result.code, `${step} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
}

/**
 * The CLI installs a new project with `pm` (found on the PATH of `env`), its `generate` adds a handler,
 * and the project's test, build and lint pass when run by the same manager.
 */
async function installsAndPasses(pm: PackageManager, name: string, env = baseEnv()): Promise<void> {
  const project = join(work, name);
  const created = await cli([name, "--package-manager", pm, "--runtime", tarball, "--subscribe", "sensors.temperature", "--reply", "heater.set"], env);
  expectSuccess(created, `create-telestion-service --package-manager ${pm}`);
  expect(created.stdout).toContain(`Done: ${name} is ready.`);
  // What each manager said before the project carried its settings: they must not come back as warnings.
  expect(created.stdout + created.stderr).not.toMatch(
    /ERR_PNPM_IGNORED_BUILDS|not yet covered by allowScripts|build scripts have been disabled|napi-windows-process-start-time/,
  );
  expect(existsSync(join(project, packageManagerFacts(pm).lockfile)), "lockfile").toBe(true);

  // plop is no dependency: `generate` fetches the pinned one with the manager's own runner (dlx).
  const generate = runCommand(pm, "generate", "reply", "time.now");
  const added = await run(generate, project, env);
  expectSuccess(added, generate.join(" "));
  expect(added.stdout + added.stderr).toContain("++ /src/handlers/time-now.ts");
  // The plopfile silenced plop's spinner, which prints "- " lines where output is no terminal.
  expect(added.stdout + added.stderr).not.toMatch(/^- *$/m);
  expect(existsSync(join(project, "node_modules", "plop"))).toBe(false);

  for (const script of ["test", "build", "lint"]) {
    const result = await run(runCommand(pm, script), project, env);
    expectSuccess(result, runCommand(pm, script).join(" "));
    if (script === "test") expect(result.stdout).toMatch(/heater-set\.test\.ts/);
    if (script === "test") expect(result.stdout).toMatch(/time-now\.test\.ts/);
    if (script === "lint") expect(result.stdout, "lint warnings").not.toMatch(/warning/);
  }
  expect(existsSync(join(project, "dist", "main.mjs"))).toBe(true);
}

/** The built CLI, run in `work` as `<pm> create telestion-service` would run it. */
function cli(args: string[], env?: NodeJS.ProcessEnv): Promise<Result> {
  return run([process.execPath, builtCli(), ...args, "--yes", "--no-git"], work, env);
}

function installed(pm: PackageManager): boolean {
  return spawnSync(pm, ["--version"], { stdio: "ignore" }).status === 0;
}
const available = PACKAGE_MANAGERS.filter(installed);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "e2e-package-managers-"));
  // The runtime as it would be published (its prepack builds it); telestion-runtime is not on the registry yet.
  const pack = await run(["npm", "pack", "--workspace", "runtime", "--pack-destination", work], ROOT);
  expectSuccess(pack, "npm pack --workspace runtime");
  tarball = join(work, readdirSync(work).find((file) => file.endsWith(".tgz"))!);
}, 5 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(PACKAGE_MANAGERS)("with %s", (pm) => {
  const skip = !available.includes(pm);

  it.skipIf(skip)("the CLI installs the project, and its test, build and lint pass", () => installsAndPasses(pm, `svc-${pm}`), 8 * MINUTE);

  it.skipIf(skip)("a runtime version missing from the registry fails the run, names --runtime, keeps the files", async () => {
    const name = `missing-${pm}`;
    const result = await cli([name, "--package-manager", pm, "--runtime", "99.99.99"]);
    expect(result.code).toBe(1);
    const last = result.stderr.trim().split("\n").at(-1)!;
    expect(last).toContain("telestion-runtime 99.99.99 is not on the package registry");
    expect(last).toContain("--runtime");
    expect(last).toContain(`then run: cd ${name} && ${packageManagerFacts(pm).install.join(" ")}`);
    expect(result.stdout).not.toMatch(/is ready|Next steps/);
    expect(existsSync(join(work, name, "package.json"))).toBe(true);
  }, 3 * MINUTE);
});

it.skipIf(!available.includes("npm"))("an install that fails for another reason fails the run with its exit code and what to run", async () => {
  // A registry nobody listens on: npm gives up at once (no retries) with ECONNREFUSED.
  const env = baseEnv({ npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_retries: "0" });
  const result = await cli(["unreachable", "--package-manager", "npm", "--runtime", tarball], env);
  expect(result.code).toBe(1);
  const last = result.stderr.trim().split("\n").at(-1)!;
  expect(last).toMatch(/^error: "npm install" failed \(exit code \d+; its output is above\)\. unreachable was generated in .+ but its dependencies are not installed; fix what it reports, then run: cd unreachable && npm install$/);
  expect(result.stdout).not.toMatch(/is ready|Next steps/);
}, 3 * MINUTE);

/*
 * `yarn` is yarn 1 on PATH here; yarn 4 (berry) is what corepack gives a project. corepack fetches it
 * from the npm registry when COREPACK_NPM_REGISTRY is set (its default host is not the npm registry).
 */
const corepack = spawnSync("corepack", ["--version"], { stdio: "ignore" }).status === 0;
it.skipIf(!corepack)("with yarn 4 (berry, through corepack) the CLI installs the project, and its test, build and lint pass", async () => {
  const bin = join(work, "yarn-berry-bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "yarn"), '#!/bin/sh\nexec corepack yarn@4 "$@"\n');
  chmodSync(join(bin, "yarn"), 0o755);
  const env = baseEnv({
    PATH: `${bin}:${process.env["PATH"]}`,
    COREPACK_NPM_REGISTRY: process.env["COREPACK_NPM_REGISTRY"] ?? "https://registry.npmjs.org",
    COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
  });
  const version = await run(["yarn", "--version"], work, env);
  expectSuccess(version, "corepack yarn@4 --version");
  expect(version.stdout.trim()).toMatch(/^4\./);
  await installsAndPasses("yarn", "svc-yarn-berry", env);
  expect(existsSync(join(work, "svc-yarn-berry", "node_modules", "vitest")), "node_modules, not Plug'n'Play").toBe(true);
  // Yarn 4 has a dlx of its own (yarn 1 uses npx): the generate that ran above was yarn's.
  const manifest = JSON.parse(readFileSync(join(work, "svc-yarn-berry", "package.json"), "utf8")) as { scripts: Record<string, string> };
  expect(manifest.scripts["generate"]).toMatch(/^yarn dlx --quiet plop@/);
}, 8 * MINUTE);
