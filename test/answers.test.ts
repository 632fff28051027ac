import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Context, type Flags, resolveAnswers } from "../src/answers.js";
import { parseCommandLine } from "../src/args.js";
import { UserError } from "../src/errors.js";
import { runtimeDependency } from "../src/runtime-spec.js";

let cwd: string;
let warnings: string[];
let context: Context;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "cts-answers-"));
  warnings = [];
  context = { cwd, interactive: false, userAgent: undefined, version: "1.2.3", warn: (line) => warnings.push(line) };
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs argv through the real parser, as the CLI does. */
function fromArgv(...argv: string[]): Flags {
  const command = parseCommandLine(argv);
  if (command.kind !== "create") throw new Error("expected create");
  return command.flags;
}

describe("resolveAnswers without questions", () => {
  it("--yes: the defaults for everything, silently", async () => {
    expect(await resolveAnswers(fromArgv("--yes"), context)).toEqual({
      directory: "telestion-service",
      name: "telestion-service",
      description: "A Telestion service that communicates over NATS.",
      subscribe: ["sensors.>"],
      subscribeAll: [],
      reply: ["commands.run"],
      publish: [],
      install: true,
      git: true,
      packageManager: "npm",
      runtime: "^1.2.3",
    });
    expect(warnings).toEqual([]);
  });

  it("--yes even with a terminal: asks nothing (prompts would hang this test otherwise)", async () => {
    const answers = await resolveAnswers(fromArgv("svc", "-y"), { ...context, interactive: true });
    expect(answers.name).toBe("svc");
  });

  it("no terminal and no --yes: the same defaults, and one line on stderr naming what was defaulted", async () => {
    const answers = await resolveAnswers(fromArgv("svc", "--name", "n", "--no-git"), context);
    expect(answers).toMatchObject({ directory: "svc", name: "n", install: true, git: false });
    expect(warnings).toEqual([
      "stdin is not a terminal: using the defaults for description, subscribe, reply, install (give them as options, or --yes to silence this)",
    ]);
  });

  it("no terminal but every question answered by flags: nothing to say", async () => {
    await resolveAnswers(
      fromArgv("svc", "--name=n", "--description=d", "--subscribe=", "--reply=", "--install", "--git"),
      context,
    );
    expect(warnings).toEqual([]);
  });

  it("takes every flag as given", async () => {
    const answers = await resolveAnswers(
      fromArgv(
        "some/where",
        "--name",
        "@space/ground",
        "--description",
        "Talks to the ground.",
        "--subscribe",
        "a.*,b.>",
        "--subscribe",
        "c",
        "--subscribe-all",
        "config.>",
        "--reply",
        "d.get, e.get",
        "--publish",
        "sensors.temperature@500ms,sensors.pressure",
        "--no-install",
        "--no-git",
        "--package-manager",
        "bun",
        "--runtime",
        "~0.1.0",
      ),
      context,
    );
    expect(answers).toEqual({
      directory: "some/where",
      name: "@space/ground",
      description: "Talks to the ground.",
      subscribe: ["a.*", "b.>", "c"],
      subscribeAll: ["config.>"],
      reply: ["d.get", "e.get"],
      publish: ["sensors.temperature@500ms", "sensors.pressure"],
      install: false,
      git: false,
      packageManager: "bun",
      runtime: "~0.1.0",
    });
  });

  it("derives the name from the directory's last part, made valid", async () => {
    expect((await resolveAnswers(fromArgv("deep/My Ground Station", "-y"), context)).name).toBe("my-ground-station");
    mkdirSync(join(cwd, "Here"));
    const here = await resolveAnswers(fromArgv(".", "-y"), { ...context, cwd: join(cwd, "Here") });
    expect(here).toMatchObject({ directory: ".", name: "here" });
    expect((await resolveAnswers(fromArgv("???", "-y"), context)).name).toBe("telestion-service");
  });

  it("detects the package manager from npm_config_user_agent, and --package-manager overrides it", async () => {
    const pnpm = { ...context, userAgent: "pnpm/9.1.0 npm/? node/v20.11.0 linux x64" };
    expect((await resolveAnswers(fromArgv("-y"), pnpm)).packageManager).toBe("pnpm");
    expect((await resolveAnswers(fromArgv("-y", "--package-manager", "yarn"), pnpm)).packageManager).toBe("yarn");
  });

  it("writes a local --runtime as an absolute file: spec, since the project lives elsewhere", async () => {
    writeFileSync(join(cwd, "telestion-runtime-1.2.3.tgz"), "");
    const answers = await resolveAnswers(fromArgv("-y", "--runtime", "./telestion-runtime-1.2.3.tgz"), context);
    expect(answers.runtime).toBe(`file:${join(cwd, "telestion-runtime-1.2.3.tgz")}`);
    expect(runtimeDependency("latest", cwd)).toBe("latest");
  });

  it.each([
    [["--name", "Bad Name", "-y"], 'package name "Bad Name" is invalid'],
    [["--subscribe", "a..b", "-y"], 'subscription subject "a..b" has an empty token'],
    [["--reply", "a.>", "-y"], 'reply subject "a.>" contains a wildcard'],
    [["--subscribe", "a", "--reply", "a", "-y"], 'subject "a" is both'],
    [["--subscribe", "a,a", "-y"], 'subscription subject "a" is given twice'],
    [["--subscribe", "sensors.>", "--reply", "sensors.get", "-y"], '"sensors.>" and reply subject "sensors.get" overlap'],
    [["--reply", "__telestion__.health", "-y"], 'reply subject "__telestion__.health" starts with "__telestion__"'],
    [["--subscribe-all", "a b", "-y"], 'subscription subject "a b" contains whitespace'],
    [["--subscribe-all", "a.>.b", "-y"], 'subscription subject "a.>.b" has ">" before the end'],
    [["--subscribe-all", "__telestion__.>", "-y"], 'subscription subject "__telestion__.>" starts with "__telestion__"'],
    [["--publish", "sensors.*@1s", "-y"], 'publish subject "sensors.*" contains a wildcard; wildcards (* and >) only work for subscriptions, so publish on a concrete subject such as "sensors.example"'],
    [["--publish", "__telestion__.health", "-y"], 'publish subject "__telestion__.health" starts with "__telestion__"'],
    [["--publish", "@500ms", "-y"], 'publish subject is empty; give a subject such as "sensors.temperature"'],
    [["--publish", "a@b.c", "-y"], 'interval "b.c" of publish subject "a" is not a duration; give a number with the unit ms or s, e.g. 500ms or 2s'],
    [["--publish", "t@", "-y"], 'interval "" of publish subject "t" is not a duration; give a number with the unit ms or s, e.g. 500ms or 2s'],
    [["--publish", "t@500", "-y"], 'interval "500" of publish subject "t" has no unit; write 500ms or 500s'],
    [["--publish", "t@1m", "-y"], 'interval "1m" of publish subject "t" is not a duration'],
    [["--publish", "t@-5ms", "-y"], 'interval "-5ms" of publish subject "t" is not a duration'],
    [["--publish", "t@0ms", "-y"], 'interval "0ms" of publish subject "t" is under 1 ms; give 1ms or more, e.g. 500ms'],
    [["--publish", "t@0.0005s", "-y"], 'interval "0.0005s" of publish subject "t" is under 1 ms'],
    [["--publish", "t@1.5ms", "-y"], 'interval "1.5ms" of publish subject "t" is not a whole number of milliseconds'],
    [["--publish", "t@2147484s", "-y"], 'interval "2147484s" of publish subject "t" is longer than Node\'s timers can wait; give at most 2147483647ms (about 24 days)'],
    [["--publish", "ok@1s,t@5", "-y"], 'interval "5" of publish subject "t" has no unit'],
    [["--package-manager", "pip", "-y"], 'unknown package manager "pip"'],
    [["--runtime", "./nope.tgz", "-y"], "--runtime points at "],
    [["--description", "two\nlines", "-y"], "description must be a single line"],
  ])("refuses %j with a UserError", async (argv, message) => {
    const attempt = resolveAnswers(fromArgv(...argv), context);
    await expect(attempt).rejects.toThrow(UserError);
    await expect(resolveAnswers(fromArgv(...argv), context)).rejects.toThrow(message);
  });

  it("--subscribe-all: no queue group, so it may overlap the others and itself (the runtime's rule)", async () => {
    const argv = ["--subscribe", "sensors.>", "--reply", "config.get", "--subscribe-all", "sensors.*,config.>,config.>", "-y"];
    const answers = await resolveAnswers(fromArgv(...argv), context);
    expect(answers.subscribeAll).toEqual(["sensors.*", "config.>", "config.>"]);
    // The same subjects in queue group SERVICE_NAME are refused.
    await expect(resolveAnswers(fromArgv("--subscribe", "sensors.>,sensors.*", "-y"), context)).rejects.toThrow(/overlap/);
  });

  it("--publish: a concrete subject and an interval in ms or s (1s if none); it joins no queue group, so it may overlap any handler", async () => {
    const publish = ["sensors.temperature@500ms", "sensors.pressure", "slow@0.5s", "fast@1ms", "e@mail@2s", "longest@2147483.647s"];
    const answers = await resolveAnswers(fromArgv("--publish", publish.join(","), "-y"), context);
    expect(answers.publish).toEqual(publish);
    // The service's own subscription may receive what it publishes (the runtime README's example), and
    // a publisher may send to a reply subject: publishing registers no handler.
    const own = fromArgv("--subscribe", "sensors.>", "--reply", "commands.run", "--publish", "sensors.temperature,commands.run@2s", "-y");
    expect(await resolveAnswers(own, context)).toMatchObject({ subscribe: ["sensors.>"], publish: ["sensors.temperature", "commands.run@2s"] });
  });

  it("refuses a non-empty directory, given or defaulted, and leaves it as it was", async () => {
    mkdirSync(join(cwd, "telestion-service"));
    writeFileSync(join(cwd, "telestion-service", "notes.txt"), "mine");
    await expect(resolveAnswers(fromArgv("-y"), context)).rejects.toThrow(
      'directory "telestion-service" is not empty (it contains notes.txt)',
    );
    await expect(resolveAnswers(fromArgv("telestion-service"), context)).rejects.toThrow(UserError);
  });

  it("checks flags before anything else: a bad flag fails even when questions could be asked", async () => {
    // With a terminal this would otherwise ask for the description first; it must not get there.
    await expect(
      resolveAnswers(fromArgv("svc", "--subscribe", "a b"), { ...context, interactive: true }),
    ).rejects.toThrow('subscription subject "a b" contains whitespace');
  });
});
