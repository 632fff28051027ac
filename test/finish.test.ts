import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { shellQuote } from "../generators/shell-quote.js";
import type { Answers } from "../src/answers.js";
import { testAnswers } from "../test-support/answers.js";
import {
  COMMIT_MESSAGE,
  cdCommand,
  finish,
  type FinishIo,
  initGit,
  installFailure,
  nextSteps,
  runtimeNotFound,
} from "../src/finish.js";

/*
 * Real git and a real `npm install` (of a project without dependencies, so no network is needed).
 * Git's configuration comes from a file of the test's own, so the machine's identity cannot leak in.
 */

let root: string;
let target: string;
let logs: string[];
let warnings: string[];

const answers = (overrides: Partial<Answers> = {}): Answers => testAnswers({ directory: "target", name: "target-svc", ...overrides });

/** The environment with git's configuration replaced: with an identity, or with none at all. */
function env(identity: boolean, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const config = join(root, identity ? "gitconfig-with-identity" : "gitconfig-empty");
  writeFileSync(config, identity ? "[user]\n\tname = Test Person\n\temail = test@example.com\n" : "");
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("GIT_") && key !== "EMAIL"),
  );
  return {
    ...clean,
    GIT_CONFIG_GLOBAL: config,
    GIT_CONFIG_NOSYSTEM: "1",
    // Without this, git may make up an identity from the user and host names.
    ...(identity ? {} : { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "user.useConfigOnly", GIT_CONFIG_VALUE_0: "true" }),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...overrides,
  };
}

function io(environment: NodeJS.ProcessEnv): FinishIo {
  return { cwd: root, env: environment, log: (text) => logs.push(text), warn: (text) => warnings.push(text) };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: env(true), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A minimal generated project: installs without touching the network. */
function writeProject(packageJson = JSON.stringify({ name: "target-svc", version: "0.0.0", private: true })): void {
  mkdirSync(join(target, "src"), { recursive: true });
  writeFileSync(join(target, "package.json"), packageJson);
  writeFileSync(join(target, "src", "main.ts"), "export {};\n");
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "cts-finish-"));
  target = join(root, "target");
  logs = [];
  warnings = [];
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("finish", () => {
  it("installs, then commits everything including the lockfile, then shows the next steps", async () => {
    writeProject();
    const outcome = await finish(answers({ install: true, git: true }), target, io(env(true)));
    expect(outcome).toEqual({ install: "installed", git: "committed" });
    expect(git(target, "log", "--format=%s")).toBe(COMMIT_MESSAGE);
    expect(git(target, "ls-files").split("\n").sort()).toEqual(["package-lock.json", "package.json", "src/main.ts"]);
    expect(git(target, "status", "--porcelain")).toBe("");
    expect(warnings).toEqual([]);
    const text = logs.join("\n");
    expect(text).toContain("Installing dependencies: npm install");
    expect(text).toContain("Initialised a git repository with a first commit.");
    expect(text).toContain("  cd target\n  npm run dev");
    expect(text).not.toContain("  npm install");
  });

  it("does neither when told not to, and lists the install among the next steps", async () => {
    writeProject();
    expect(await finish(answers(), target, io(env(true)))).toEqual({ install: "skipped", git: "skipped" });
    expect(existsSync(join(target, ".git"))).toBe(false);
    expect(existsSync(join(target, "package-lock.json"))).toBe(false);
    expect(logs.join("\n")).toContain("  cd target\n  npm install\n  npm run dev");
  });

  it("reports a failed install last, with where the files are and the command to retry; still sets up git; never says ready", async () => {
    writeProject("{ not json");
    const outcome = await finish(answers({ install: true, git: true }), target, io(env(true)));
    expect(outcome).toEqual({ install: "failed", git: "committed" });
    expect(warnings).toEqual([
      `error: "npm install" failed (exit code 1; its output is above). target-svc was generated in ${target} but its dependencies are not installed; fix what it reports, then run: cd target && npm install`,
    ]);
    expect(logs.join("\n")).not.toMatch(/ready|Next steps/);
    expect(existsSync(join(target, "src", "main.ts"))).toBe(true);
  });

  it("reports a package manager that cannot be started, and git missing from PATH", async () => {
    writeProject();
    const emptyPath = join(root, "empty-bin");
    mkdirSync(emptyPath);
    const outcome = await finish(answers({ install: true, git: true }), target, io(env(true, { PATH: emptyPath })));
    expect(outcome).toEqual({ install: "failed", git: "no-git" });
    expect(warnings).toEqual([
      `error: could not start npm install (spawn npm ENOENT). target-svc was generated in ${target} but its dependencies are not installed; install npm, then run: cd target && npm install`,
    ]);
    expect(logs.join("\n")).not.toMatch(/ready|Next steps/);
    expect(logs).toContain("git was not found: skipped initialising a repository.");
    expect(existsSync(join(target, ".git"))).toBe(false);
  });
});

describe("initGit", () => {
  it("skips a target inside an existing repository and leaves that repository alone", async () => {
    git(root, "init", "-q");
    writeProject();
    expect(await initGit(target, io(env(true)))).toBe("inside-repository");
    expect(existsSync(join(target, ".git"))).toBe(false);
    expect(git(root, "status", "--porcelain")).toBe("?? gitconfig-with-identity\n?? target/");
    expect(logs).toEqual(["The directory is already inside a git repository: skipped git init."]);
  });

  it("skips a target that already had its own .git (e.g. a cloned empty repository)", async () => {
    mkdirSync(target);
    git(target, "init", "-q");
    writeProject();
    expect(await initGit(target, io(env(true)))).toBe("inside-repository");
    expect(() => git(target, "rev-parse", "HEAD")).toThrow();
  });

  it("keeps the repository and warns, without failing, when git has no identity", async () => {
    writeProject();
    expect(await initGit(target, io(env(false)))).toBe("no-commit");
    expect(existsSync(join(target, ".git"))).toBe(true);
    expect(git(target, "diff", "--cached", "--name-only").split("\n")).toEqual(["package.json", "src/main.ts"]);
    expect(warnings).toEqual([
      'warning: initialised a git repository but made no commit, because git has no user.name/user.email; set them with git config --global user.name "Your Name" and git config --global user.email "you@example.com", then commit.',
    ]);
  });

  it("commits with the identity git has", async () => {
    writeProject();
    expect(await initGit(target, io(env(true)))).toBe("committed");
    expect(git(target, "log", "--format=%an <%ae>")).toBe("Test Person <test@example.com>");
  });
});

describe("next steps", () => {
  it.each([
    ["npm", ["cd svc", "npm install", "npm run dev"], "npm run test"],
    ["pnpm", ["cd svc", "pnpm install", "pnpm dev"], "pnpm test"],
    ["yarn", ["cd svc", "yarn install", "yarn dev"], "yarn test"],
    ["bun", ["cd svc", "bun install", "bun run dev"], "bun run test"],
  ] as const)("gives %s users the exact commands", (packageManager, commands, test) => {
    const text = nextSteps(answers({ name: "svc", packageManager }), "cd svc", false);
    expect(text).toContain(`svc is ready. Next steps:\n\n${commands.map((command) => `  ${command}`).join("\n")}\n`);
    expect(text).toContain(`${test} runs its tests`);
  });

  it.each([
    ["npm", "npx telestion"],
    ["pnpm", "pnpm exec telestion"],
    ["yarn", "yarn telestion"],
    ["bun", "bunx telestion"],
  ] as const)("%s: then how to talk to it: ls, a request to the first reply subject, a message for the first subscription, the log sink", (packageManager, telestion) => {
    const text = nextSteps(answers({ name: "svc", packageManager, subscribe: ["sensors.>"], reply: ["commands.run"] }), "cd svc", true);
    expect(text).toContain("needs NATS on localhost:4222");
    expect(text).toContain("nats-server -c nats/nats-dev.conf"); // the development config the project has
    expect(text).toContain(`  ${telestion} ls --dev\n`);
    expect(text).toContain(`  ${telestion} req commands.run '{"command": "ping"}' --dev\n`);
    expect(text).toContain(`  ${telestion} pub sensors.example '{"value": 21.5}' --dev\n`);
    expect(text).toContain(`  ${telestion} logs --dev\n`);
    // A terminal of 80 columns shows every line whole.
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it("leaves out cd in the current directory, and the install once installed", () => {
    const text = nextSteps(answers({ packageManager: "npm" }), undefined, true);
    expect(text).toMatch(/Next steps:\n\n {2}npm run dev\n/);
  });

  it("shows the directory as it was given, quoted for the shell when needed", () => {
    expect(cdCommand("svc", "/home/u/svc", "/home/u")).toBe("cd svc");
    expect(cdCommand("../svc", "/home/svc", "/home/u")).toBe("cd ../svc");
    expect(cdCommand("/srv/svc", "/srv/svc", "/home/u")).toBe("cd /srv/svc");
    expect(cdCommand(".", "/home/u", "/home/u")).toBeUndefined();
    expect(cdCommand("My Service", "/home/u/My Service", "/home/u")).toBe("cd 'My Service'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("a/b-c_d.e")).toBe("a/b-c_d.e");
  });
});

describe("a runtime missing from the registry", () => {
  // What each manager printed here for `--runtime 99.99.99` (telestion-runtime is not published yet).
  it.each([
    ["npm", "npm error 404 Not Found - GET https://registry.npmjs.org/telestion-runtime - Not found"],
    ["pnpm", "  ╰─▶ GET https://registry.npmjs.org/telestion-runtime: Not Found - 404"],
    ["yarn", 'error Couldn\'t find package "telestion-runtime" on the "npm" registry.'],
    ["bun", "error: GET https://registry.npmjs.org/telestion-runtime - 404"],
    ["npm, once published", "npm error notarget No matching version found for telestion-runtime@99.99.99."],
  ])("is recognised in %s's output", (_pm, line) => {
    expect(runtimeNotFound(`some progress\n${line}\nmore lines\n`)).toBe(true);
  });

  it("is not confused with another package's 404 or other failures", () => {
    expect(runtimeNotFound('error Couldn\'t find package "napi-windows-process-start-time" on the "npm" registry.')).toBe(false);
    expect(runtimeNotFound("npm error 404 Not Found - GET https://registry.npmjs.org/left-pad\n+ telestion-runtime 0.1.0")).toBe(false);
    expect(runtimeNotFound("npm error code EACCES")).toBe(false);
  });

  it("names --runtime in the final line", () => {
    const line = installFailure(answers({ runtime: "99.99.99", packageManager: "pnpm" }), "/w/target", "cd target", { kind: "runtime-not-found" });
    expect(line).toBe(
      'error: "pnpm install" failed because telestion-runtime 99.99.99 is not on the package registry. target-svc was generated in /w/target but its dependencies are not installed; point "telestion-runtime" in its package.json at a telestion-runtime tarball or directory (what --runtime <path> does when generating), then run: cd target && pnpm install',
    );
  });
});
