import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtCli, REPO } from "../test-support/built-cli.js";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

/*
 * The built bin as users run it: a child process, with stdin a pipe (no terminal) or a real
 * pseudo-terminal made by util-linux `script`, typing keystrokes the way a person does.
 */

const repo = REPO;
let cli: string;
const { version } = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string };

beforeAll(() => {
  cli = builtCli();
}, 120_000);

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "cts-cli-"));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** Git configured by the test alone: an identity, nothing from the machine. */
function testEnv(): NodeJS.ProcessEnv {
  const gitconfig = join(cwd, ".test-gitconfig");
  writeFileSync(gitconfig, "[user]\n\tname = Test Person\n\temail = test@example.com\n");
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("GIT_")));
  return { ...clean, GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: "1", npm_config_user_agent: "" };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with stdin a pipe that stays open: a CLI that waited for input would time out here. */
function run(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd ?? cwd,
      env: options.env ?? testEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`create-telestion-service ${args.join(" ")} did not exit: ${stdout}${stderr}`));
    }, 20_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the built CLI without a terminal", () => {
  it("--help and -h print the usage with every option, and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const result = await run([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: create-telestion-service \[directory\] \[options\]/);
      expect(result.stdout).toContain("--package-manager <pm>");
      expect(result.stdout).toContain(`default: ^${version}`);
      expect(result.stderr).toBe("");
    }
  });

  it("shows the package manager that launched it as the default", async () => {
    const result = await run(["--help"], { env: { ...testEnv(), npm_config_user_agent: "yarn/1.22.22 npm/? node/v20.11.0" } });
    expect(result.stdout).toContain("(now: yarn)");
  });

  it("--version and -v print the package's version", async () => {
    expect((await run(["--version"])).stdout).toBe(`${version}\n`);
    expect((await run(["-v"])).stdout).toBe(`${version}\n`);
  });

  it.each([
    [["--frobnicate"], "error: unknown option --frobnicate; run create-telestion-service --help to see the options\n"],
    [["svc", "--name", "Not Valid", "-y"], /^error: package name "Not Valid" is invalid .*\n$/],
    [["svc", "--reply", "a.*", "-y"], /^error: reply subject "a\.\*" contains a wildcard.*\n$/],
    [["svc", "--package-manager", "pip", "-y"], 'error: unknown package manager "pip"; use one of npm, pnpm, yarn, bun\n'],
  ])("%j: one line on stderr, exit 1, nothing written", async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    if (typeof message === "string") expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
    expect(readdirSync(cwd)).toEqual([".test-gitconfig"]);
  });

  it("refuses a non-empty directory and leaves the user's files as they were", async () => {
    mkdirSync(join(cwd, "mine"));
    writeFileSync(join(cwd, "mine", "notes.txt"), "precious");
    const result = await run(["mine", "--yes", "--no-install", "--no-git"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: directory "mine" is not empty (it contains notes.txt); choose a new or empty directory, nothing is ever overwritten\n',
    );
    expect(readdirSync(join(cwd, "mine"))).toEqual(["notes.txt"]);
    expect(readFileSync(join(cwd, "mine", "notes.txt"), "utf8")).toBe("precious");
  });

  it("without --yes, says on stderr that it used defaults, then generates; never waits for input", async () => {
    const runtime = join(cwd, "telestion-runtime-9.9.9.tgz");
    writeFileSync(runtime, "");
    const result = await run(["svc", "--subscribe", "sensors.*,cmd.>", "--reply", "status.get", "--no-install", "--runtime", "./telestion-runtime-9.9.9.tgz"]);
    expect(result.stderr).toBe(
      "stdin is not a terminal: using the defaults for name, description, git (give them as options, or --yes to silence this)\n",
    );
    expect(result.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(cwd, "svc", "package.json"), "utf8")) as {
      name: string;
      description: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.name).toBe("svc");
    expect(pkg.description).toBe("A Telestion service that communicates over NATS.");
    // A local runtime is copied into the project, so that a clone or an image build finds it.
    expect(pkg.dependencies["telestion-runtime"]).toBe("file:vendor/telestion-runtime-9.9.9.tgz");
    expect(existsSync(join(cwd, "svc", "vendor", "telestion-runtime-9.9.9.tgz"))).toBe(true);
    expect(result.stdout).toContain("Initialised a git repository with a first commit.");
    expect(result.stdout).toMatch(/Next steps:\n\n {2}cd svc\n {2}npm install\n {2}npm run dev\n/);
    expect(execFileSync("git", ["log", "--format=%s"], { cwd: join(cwd, "svc"), env: testEnv(), encoding: "utf8" })).toBe(
      "Initial commit from create-telestion-service\n",
    );
  });

  it("--yes with a directory: silent defaults, into the current directory when it is '.'", async () => {
    mkdirSync(join(cwd, "Here Now"));
    const result = await run([".", "--yes", "--no-install", "--no-git"], { cwd: join(cwd, "Here Now") });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(readFileSync(join(cwd, "Here Now", "package.json"), "utf8"))).toMatchObject({ name: "here-now" });
    expect(result.stdout).toMatch(/Next steps:\n\n {2}npm install\n {2}npm run dev\n/);
  });
});

/**
 * The bin on a pseudo-terminal: `script` gives it one and relays what we write to its stdin as
 * keystrokes. prompts reads them in raw mode, so Enter is "\r" and Ctrl-C is "\x03".
 */
class Terminal {
  private output = "";
  readonly exited: Promise<number | null>;
  private readonly child;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    const command = ["stty cols 80 rows 24;", "exec", process.execPath, cli, ...args.map((arg) => `'${arg}'`)].join(" ");
    this.child = spawn("script", ["-qfec", command, "/dev/null"], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on("close", resolve));
  }

  /** What the screen showed so far, without colours and cursor movements. */
  text(): string {
    // eslint-disable-next-line no-control-regex -- terminal escapes start with the control character ESC
    return this.output.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, "");
  }

  /**
   * The longest stretch of text written before `until` between line starts: a line break, a carriage return or a
   * move to column 1. Longer than the terminal is wide, it wrapped, and prompts' redraw then breaks.
   */
  widestLine(until: string): string {
    const shown = this.output.slice(0, this.output.indexOf(until));
    // eslint-disable-next-line no-control-regex -- terminal escapes start with the control character ESC
    const pieces = shown.split(/\r|\n|\u001b\[1?G|\u001b\[\d*E/);
    // eslint-disable-next-line no-control-regex -- as above
    const visible = pieces.map((piece) => piece.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, ""));
    return visible.reduce((widest, piece) => ([...piece].length > [...widest].length ? piece : widest), "");
  }

  /** Waits until `pattern` is on the screen, e.g. the next question. */
  async waitFor(pattern: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.text().includes(pattern)) {
      if (Date.now() > deadline) throw new Error(`no "${pattern}" on the terminal; it shows:\n${this.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

describe("the built CLI on a terminal", () => {
  it("asks every question, shows validation problems in place, and generates what was answered", async () => {
    const term = new Terminal(["--package-manager", "pnpm"], testEnv());
    try {
      await term.waitFor("Directory for the new service");
      term.type("ground station\r");
      await term.waitFor("Service name (npm package name and SERVICE_NAME)");
      await term.waitFor("ground-station"); // the default, derived from the directory
      term.type("\r");
      await term.waitFor("Description");
      term.type("Watches the sensors.\r");
      await term.waitFor("Subjects to subscribe to");
      term.type("a..b\r");
      await term.waitFor('subscription subject "a..b" has an empty token');
      term.type("\x7f".repeat(4) + "sensors.*\r");
      await term.waitFor("Subjects to answer requests on");
      term.type("sensors.*\r");
      await term.waitFor('reply subject "sensors.*" contains a wildcard');
      term.type("\x7f".repeat(9) + "sensors.get\r");
      await term.waitFor("overlap");
      term.type("\x7f".repeat(11) + "status.get\r");
      await term.waitFor("Install dependencies with pnpm now?");
      term.type("n");
      await term.waitFor("Initialise a git repository with a first commit?");
      term.type("y");
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
    // An 80x24 terminal: no question, default or problem shown may wrap.
    const widest = term.widestLine("Created ");
    expect([...widest].length, widest).toBeLessThanOrEqual(80);
    const text = term.text();
    expect(text).toContain("Created ground-station in");
    expect(text).toContain("Initialised a git repository with a first commit.");
    expect(text).toMatch(/ {2}cd 'ground station'\r?\n {2}pnpm install\r?\n {2}pnpm dev/);
    const target = join(cwd, "ground station");
    expect(JSON.parse(readFileSync(join(target, "package.json"), "utf8"))).toMatchObject({
      name: "ground-station",
      description: "Watches the sensors.",
    });
    expect(existsSync(join(target, ".git"))).toBe(true);
    expect(existsSync(join(target, "node_modules"))).toBe(false);
  });

  it.each([
    ["at the first question", [] as [string, string][]],
    [
      "after some answers",
      [
        ["Directory for the new service", "half-done\r"],
        ["Service name", "\r"],
        ["Description", "\r"],
      ] as [string, string][],
    ],
  ])("Ctrl-C %s: Cancelled, exit 1, nothing written", async (_when, answers) => {
    const term = new Terminal([], testEnv());
    try {
      for (const [question, keys] of answers) {
        await term.waitFor(question);
        term.type(keys);
      }
      await term.waitFor(answers.length === 0 ? "Directory for the new service" : "Subjects to subscribe to");
      term.type("\x03");
      expect(await term.exited).toBe(1);
    } finally {
      term.kill();
    }
    expect(term.text()).toMatch(/Cancelled\r?\n$/);
    expect(readdirSync(cwd)).toEqual([".test-gitconfig"]);
  });
});
