import { describe, expect, it } from "vitest";
import type { Flags } from "../src/answers.js";
import { helpText, parseCommandLine } from "../src/args.js";
import { UserError } from "../src/errors.js";

function flags(...argv: string[]): Flags {
  const command = parseCommandLine(argv);
  if (command.kind !== "create") throw new Error(`expected create, got ${command.kind}`);
  return command.flags;
}

describe("parseCommandLine", () => {
  it("leaves everything open when nothing is given", () => {
    expect(flags()).toEqual({
      directory: undefined,
      name: undefined,
      description: undefined,
      subscribe: undefined,
      subscribeAll: undefined,
      reply: undefined,
      publish: undefined,
      install: undefined,
      git: undefined,
      packageManager: undefined,
      runtime: undefined,
      yes: false,
    });
  });

  it("reads the directory and every valued option, in both --x v and --x=v forms", () => {
    expect(
      flags(
        "my-dir",
        "--name",
        "my-svc",
        "--description=Reads sensors, replies fast",
        "--package-manager",
        "pnpm",
        "--runtime=../runtime.tgz",
      ),
    ).toMatchObject({
      directory: "my-dir",
      name: "my-svc",
      description: "Reads sensors, replies fast",
      packageManager: "pnpm",
      runtime: "../runtime.tgz",
    });
  });

  it("collects --subscribe, --subscribe-all and --reply from repeats and commas alike", () => {
    const parsed = flags("--subscribe", "a.*,b", "--subscribe=c.>", "--reply", "x, y", "--subscribe-all", "s.>,t", "--reply", "z");
    expect(parsed.subscribe).toEqual(["a.*", "b", "c.>"]);
    expect(parsed.subscribeAll).toEqual(["s.>", "t"]);
    expect(parsed.reply).toEqual(["x", "y", "z"]);
  });

  it("collects --publish from repeats and commas, each publisher's interval kept with its subject, unchecked", () => {
    const parsed = flags("--publish", "a.b@500ms, c", "--publish=d@2s", "--publish", "e@x");
    expect(parsed.publish).toEqual(["a.b@500ms", "c", "d@2s", "e@x"]);
  });

  it('reads --subscribe "" as an explicit "none", not as "not given"', () => {
    expect(flags("--subscribe", "").subscribe).toEqual([]);
  });

  it("reads --install/--no-install and --git/--no-git, the last one winning", () => {
    expect(flags("--install", "--git")).toMatchObject({ install: true, git: true });
    expect(flags("--no-install", "--no-git")).toMatchObject({ install: false, git: false });
    expect(flags("--install", "--no-install", "--no-git", "--git")).toMatchObject({ install: false, git: true });
  });

  it("reads -y and --yes", () => {
    expect(flags("-y").yes).toBe(true);
    expect(flags("--yes").yes).toBe(true);
  });

  it("puts help before version before everything else", () => {
    expect(parseCommandLine(["--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["dir", "-y", "-h"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["-v"])).toEqual({ kind: "version" });
    expect(parseCommandLine(["--version", "--help"])).toEqual({ kind: "help" });
  });

  it.each([
    [["--foo"], "unknown option --foo; run create-telestion-service --help to see the options"],
    [["-x"], "unknown option -x; run create-telestion-service --help to see the options"],
    [["--subcribe", "a"], "unknown option --subcribe; did you mean --subscribe? run create-telestion-service --help to see the options"],
    [["--packge-manger=npm"], "unknown option --packge-manger; did you mean --package-manager? run create-telestion-service --help to see the options"],
    [["--no-instal"], "unknown option --no-instal; did you mean --no-install? run create-telestion-service --help to see the options"],
    [["--verbose"], "unknown option --verbose; run create-telestion-service --help to see the options"],
    [["--ys"], "unknown option --ys; did you mean --yes? run create-telestion-service --help to see the options"],
    [["--install=yes"], "Option '--install' does not take an argument; run create-telestion-service --help for usage"],
    [["--name"], "Option '--name <value>' argument missing; run create-telestion-service --help for usage"],
    [["--name", "--yes"], "Option '--name' argument is ambiguous; run create-telestion-service --help for usage"],
    [["a", "b"], 'expected at most one directory but got "a", "b"; quote a directory name that contains spaces'],
  ])("refuses %j with one line", (argv, message) => {
    const attempt = () => parseCommandLine(argv);
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });
});

describe("helpText", () => {
  const help = helpText({ cwd: "/", packageManager: "pnpm", version: "9.9.9" });

  it("lists every option", () => {
    for (const option of [
      "[directory]",
      "--name <name>",
      "--description <text>",
      "--subscribe <subject>",
      "--subscribe-all <subject>",
      "--reply <subject>",
      "--publish <subject>[@<interval>]",
      "--install, --no-install",
      "--git, --no-git",
      "--package-manager <pm>",
      "--runtime <spec>",
      "-y, --yes",
      "-h, --help",
      "-v, --version",
    ]) {
      expect(help).toContain(option);
    }
  });

  it("states the defaults, including the detected package manager and the runtime", () => {
    expect(help).toContain("(default: telestion-service)");
    expect(help).toContain("default: the directory's name");
    expect(help).toContain('default: "A Telestion service that communicates over NATS."');
    expect(help).toContain('default: sensors.> (--subscribe "" for none)');
    expect(help).toContain('default: commands.run (--reply "" for none)');
    // --subscribe-all fills the usage column: its text starts on the next line, and ends with its default.
    expect(help).toMatch(/^ {2}--subscribe-all <subject>\n {27}a subject every instance subscribes to, with no queue group\n(?: {27}.+\n)* {27}default: none\n/m);
    expect(help).toMatch(/^ {2}--publish <subject>\[@<interval>\]\n {27}a subject to publish .+\n(?: {27}.+\n)* {27}default: none\n/m);
    expect(help).toMatch(/ms or s, e\.g\. sensors\.temperature@500ms; 1s if\n/);
    expect(help).toContain("default: --install");
    expect(help).toContain("default: --git");
    expect(help).toContain("(now: pnpm)");
    expect(help).toContain("default: ^9.9.9");
  });

  it("fits an 100-column terminal", () => {
    for (const line of help.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });
});
