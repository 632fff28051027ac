import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Answers, validateAnswers } from "../src/answers.js";
import { UserError } from "../src/errors.js";
import {
  descriptionProblem,
  directoryProblem,
  nameProblem,
  packageManagerProblem,
  runtimeProblem,
  splitSubjects,
  subjectsProblem,
  subjectProblem,
  toValidPackageName,
} from "../src/validate.js";
import { localRuntime, runtimeDependency } from "../src/runtime-spec.js";
import { testAnswers } from "../test-support/answers.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cts-validate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("nameProblem", () => {
  it.each(["my-service", "a", "service2", "@wuespace/ground-station", "x.y_z"])("accepts %s", (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });

  it.each([
    ["My-Service", 'package name "My-Service" is invalid (name can no longer contain capital letters); try "my-service"'],
    ["my service", 'package name "my service" is invalid (name can only contain URL-friendly characters); try "my-service"'],
    [".hidden", 'package name ".hidden" is invalid (name cannot start with a period); try "hidden"'],
    ["_private", 'package name "_private" is invalid (name cannot start with an underscore); try "private"'],
    ["", 'package name "" is invalid (name length must be greater than zero); use lowercase letters, digits and dashes'],
    ["http", 'package name "http" is invalid (http is a core module name); use lowercase letters, digits and dashes'],
    ["node_modules", 'package name "node_modules" is invalid (node_modules is not a valid package name); use lowercase letters, digits and dashes'],
    [" pad ", 'package name " pad " is invalid (name cannot contain leading or trailing spaces); try "pad"'],
  ])("refuses %j with one line naming the problem and a fix", (name, message) => {
    expect(nameProblem(name)).toBe(message);
  });

  it("refuses names longer than npm allows", () => {
    expect(nameProblem("a".repeat(215))).toMatch(/more than 214 characters/);
  });
});

describe("toValidPackageName", () => {
  it.each([
    ["My Service", "my-service"],
    ["  Ground  Station ", "ground-station"],
    ["__init", "init"],
    ["a!b(c)", "a-b-c"],
    ["v1.2_beta~", "v1.2_beta"],
    ["???", ""],
    ["http", ""],
  ])("%j → %j", (text, name) => {
    expect(toValidPackageName(text)).toBe(name);
  });
});

describe("descriptionProblem", () => {
  it("accepts one line of any text, and an empty one", () => {
    expect(descriptionProblem("Reads sensors; replies with the last value — fast & safe \"quoted\"")).toBeUndefined();
    expect(descriptionProblem("")).toBeUndefined();
  });

  it.each(["two\nlines", "tab\there", "nul\u0000", "del\u007f"])("refuses %j", (text) => {
    expect(descriptionProblem(text)).toBe(
      "description must be a single line of text; remove line breaks and control characters",
    );
  });
});

describe("subjectProblem", () => {
  it.each(["sensors", "sensors.temperature", "a.b.c.d", "$SYS.x", "a-b_c.d/e"])(
    "accepts %s for subscriptions and replies",
    (subject) => {
      expect(subjectProblem(subject, "subscribe")).toBeUndefined();
      expect(subjectProblem(subject, "reply")).toBeUndefined();
    },
  );

  it.each(["*", ">", "sensors.*", "sensors.>", "*.temperature", "a.*.c.>"])("accepts wildcard %s for subscriptions", (subject) => {
    expect(subjectProblem(subject, "subscribe")).toBeUndefined();
  });

  it("refuses an empty subject", () => {
    expect(subjectProblem("", "subscribe")).toBe('subscription subject is empty; give a subject such as "sensors.temperature"');
    expect(subjectProblem("", "reply")).toBe('reply subject is empty; give a subject such as "sensors.temperature"');
  });

  it.each(["a b", "a\tb", " a", "a\n", "a\u0000b"])("refuses whitespace and control characters in %j", (subject) => {
    expect(subjectProblem(subject, "subscribe")).toBe(
      `subscription subject "${subject}" contains whitespace or control characters; NATS subjects cannot, so remove them (separate tokens with ".")`,
    );
  });

  it.each(["a..b", ".a", "a.", "."])("refuses the empty token in %j", (subject) => {
    expect(subjectProblem(subject, "reply")).toBe(
      `reply subject "${subject}" has an empty token (a leading, trailing or doubled "."); separate non-empty tokens with single dots, e.g. "sensors.temperature"`,
    );
  });

  it.each([
    ["sensors.*", "sensors.example"],
    ["sensors.>", "sensors.example"],
    ["*.temperature", "example.temperature"],
    ["a.b*", "a.example"],
  ])("refuses wildcards in reply subject %s", (subject, example) => {
    expect(subjectProblem(subject, "reply")).toBe(
      `reply subject "${subject}" contains a wildcard; wildcards (* and >) only work for subscriptions, so reply on a concrete subject such as "${example}"`,
    );
  });

  it.each([
    ["sensors.temp*", "temp*"],
    ["a.>b", ">b"],
    ["**", "**"],
    ["a.*>", "*>"],
  ])("refuses a wildcard that is not a whole token in %s", (subject, token) => {
    expect(subjectProblem(subject, "subscribe")).toBe(
      `subscription subject "${subject}" uses a wildcard inside the token "${token}"; "*" and ">" must be whole tokens, e.g. "sensors.*"`,
    );
  });

  it.each([">.a", "a.>.b", ">.>"])("refuses > before the last token in %s", (subject) => {
    expect(subjectProblem(subject, "subscribe")).toBe(
      `subscription subject "${subject}" has ">" before the end; ">" may only be the last token, e.g. "sensors.>"`,
    );
  });
});

describe("splitSubjects", () => {
  it("splits commas, trims, and drops blanks, from one string or many", () => {
    expect(splitSubjects("a, b ,c")).toEqual(["a", "b", "c"]);
    expect(splitSubjects(["a,b", " c ", "d"])).toEqual(["a", "b", "c", "d"]);
    expect(splitSubjects(["", " , "])).toEqual([]);
    expect(splitSubjects("")).toEqual([]);
  });
});

describe("subjectsProblem: valid and not overlapping, wildcard-aware", () => {
  it("accepts no subjects and distinct subjects no message matches twice", () => {
    expect(subjectsProblem([], [])).toBeUndefined();
    expect(subjectsProblem(["a", "b.*", "sensors.>"], ["status.get", "b.c.d"])).toBeUndefined();
  });

  it("reports the first invalid subject", () => {
    expect(subjectsProblem(["ok", "a..b", "c d"], [])).toMatch(/^subscription subject "a\.\.b" has an empty token/);
  });

  it("refuses a subject given twice", () => {
    expect(subjectsProblem([], ["a", "b", "a"])).toBe('reply subject "a" is given twice; give each subject once');
  });

  it("refuses a subject that is both subscribed to and replied on", () => {
    expect(subjectsProblem(["a", "b"], ["c", "b"])).toBe(
      'subject "b" is both a subscription and a reply subject; give it to one handler',
    );
  });

  it.each([
    [["sensors.>"], ["sensors.get"], '"sensors.>" and reply subject "sensors.get" overlap'],
    [["sensors.*"], ["sensors.get"], '"sensors.*" and reply subject "sensors.get" overlap'],
    [["a.*.c", "a.b.*"], [], '"a.*.c" and subscription subject "a.b.*" overlap'],
    [["*.>"], ["x.y"], '"*.>" and reply subject "x.y" overlap'],
  ])("refuses overlapping wildcards: %j and %j", (subscribe, reply, message) => {
    expect(subjectsProblem(subscribe, reply)).toContain(message);
  });

  it.each([
    [["sensors.*"], ["sensors.a.b"]],
    [["a.>"], ["a"]],
    [["a.*.c"], ["a.b.d"]],
  ])("accepts wildcards that cannot match the same subject: %j and %j", (subscribe, reply) => {
    expect(subjectsProblem(subscribe, reply)).toBeUndefined();
  });

  it("refuses the runtime's own __telestion__ subjects", () => {
    expect(subjectsProblem(["__telestion__.health"], [])).toMatch(/starts with "__telestion__", which belongs to the runtime/);
    expect(subjectsProblem([], ["__telestion__/log/x"])).toMatch(/belongs to the runtime/);
    expect(subjectsProblem(["$SRV.>"], [])).toMatch(/starts with "\$SRV", which belongs to NATS micro discovery/);
    expect(subjectsProblem([], ["$SRV.PING"])).toMatch(/belongs to NATS micro discovery/);
  });
});

describe("directoryProblem", () => {
  it("accepts a directory that does not exist yet, also nested", () => {
    expect(directoryProblem("new", dir)).toBeUndefined();
    expect(directoryProblem("new/deeper/still", dir)).toBeUndefined();
  });

  it("accepts an empty directory and one holding only .git, by relative or absolute path", () => {
    mkdirSync(join(dir, "empty"));
    mkdirSync(join(dir, "cloned", ".git"), { recursive: true });
    expect(directoryProblem("empty", dir)).toBeUndefined();
    expect(directoryProblem(join(dir, "cloned"), "/")).toBeUndefined();
    expect(directoryProblem(".", join(dir, "empty"))).toBeUndefined();
  });

  it("refuses a non-empty directory, naming some of what is there, and leaves it alone", () => {
    mkdirSync(join(dir, "full"));
    for (const file of ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]) writeFileSync(join(dir, "full", file), "mine");
    expect(directoryProblem("full", dir)).toBe(
      'directory "full" is not empty (it contains a.txt, b.txt, c.txt and 2 more); choose a new or empty directory, nothing is ever overwritten',
    );
    writeFileSync(join(dir, "one"), "");
    mkdirSync(join(dir, "git-and-more", ".git"), { recursive: true });
    writeFileSync(join(dir, "git-and-more", "README.md"), "");
    expect(directoryProblem("git-and-more", dir)).toBe(
      'directory "git-and-more" is not empty (it contains README.md); choose a new or empty directory, nothing is ever overwritten',
    );
    expect(readdirSync(join(dir, "full"))).toHaveLength(5);
  });

  it("refuses a file, and a path through a file", () => {
    writeFileSync(join(dir, "file"), "");
    expect(directoryProblem("file", dir)).toBe('"file" exists and is not a directory; choose a new or empty directory');
    expect(directoryProblem("file/sub", dir)).toBe(
      '"file/sub" has a file where a directory should be in its path; choose another directory',
    );
  });

  it("refuses a blank directory", () => {
    expect(directoryProblem("  ", dir)).toBe('directory is empty; give a directory such as "my-service"');
  });
});

describe("packageManagerProblem", () => {
  it("accepts the four managers and names them when refusing another", () => {
    expect(packageManagerProblem("pnpm")).toBeUndefined();
    expect(packageManagerProblem("cnpm")).toBe('unknown package manager "cnpm"; use one of npm, pnpm, yarn, bun');
  });
});

describe("runtime spec", () => {
  it("tells local paths and tarballs from version ranges, tags and URLs, and makes them absolute file: specs", () => {
    expect(runtimeDependency("^0.1.0", dir)).toBe("^0.1.0");
    expect(runtimeDependency("latest", dir)).toBe("latest");
    expect(runtimeDependency(">=0.1.0 <0.2.0", dir)).toBe(">=0.1.0 <0.2.0");
    expect(runtimeDependency("https://example.org/telestion-runtime-0.1.0.tgz", dir)).toBe("https://example.org/telestion-runtime-0.1.0.tgz");
    expect(runtimeDependency("./runtime", dir)).toBe(`file:${join(dir, "runtime")}`);
    expect(runtimeDependency("..", dir)).toBe(`file:${join(dir, "..")}`);
    expect(runtimeDependency("telestion-runtime-0.1.0.tgz", dir)).toBe(`file:${join(dir, "telestion-runtime-0.1.0.tgz")}`);
    expect(runtimeDependency("file:../x", dir)).toBe(`file:${join(dir, "..", "x")}`);
    expect(runtimeDependency("/abs/x.tgz", dir)).toBe("file:/abs/x.tgz");
    expect(runtimeDependency("~/x.tgz", dir)).toBe(`file:${join(homedir(), "x.tgz")}`);
  });

  it("finds the local path in such a spec only", () => {
    expect(localRuntime("file:/abs/x.tgz")).toBe("/abs/x.tgz");
    expect(localRuntime("file:vendor/x.tgz")).toBeUndefined();
    expect(localRuntime("^0.1.0")).toBeUndefined();
  });

  it("accepts a range, and a local path that exists", () => {
    writeFileSync(join(dir, "rt.tgz"), "");
    expect(runtimeProblem("^0.1.0")).toBeUndefined();
    expect(runtimeProblem(runtimeDependency("./rt.tgz", dir))).toBeUndefined();
    expect(runtimeProblem(`file:${join(dir, "rt.tgz")}`)).toBeUndefined();
  });

  it("refuses an empty spec and a local path that does not exist", () => {
    expect(runtimeProblem(" ")).toBe("--runtime is empty; give a version range such as ^0.1.0, a directory or a tarball");
    expect(runtimeProblem(runtimeDependency("./missing.tgz", dir))).toBe(
      `--runtime points at ${join(dir, "missing.tgz")}, which does not exist; give an existing directory or tarball, or a version range`,
    );
  });
});

describe("validateAnswers", () => {
  const complete: Answers = testAnswers({ description: "A service.", subscribe: ["a.*"], reply: ["b"] });

  it("accepts complete valid answers and checks only what a partial set holds", () => {
    expect(() => validateAnswers(complete, dir)).not.toThrow();
    expect(() => validateAnswers({}, dir)).not.toThrow();
    expect(() => validateAnswers({ name: "ok" }, dir)).not.toThrow();
  });

  it.each([
    [{ directory: "" }, /^directory is empty/],
    [{ name: "Bad" }, /^package name "Bad" is invalid/],
    [{ description: "a\nb" }, /^description must be a single line/],
    [{ subscribe: ["a..b"] }, /^subscription subject "a\.\.b"/],
    [{ reply: ["a.*"] }, /^reply subject "a\.\*" contains a wildcard/],
    [{ subscribe: ["x"], reply: ["x"] }, /^subject "x" is both/],
    [{ packageManager: "pip" as never }, /^unknown package manager "pip"/],
    [{ runtime: "" }, /^--runtime is empty/],
  ])("throws a UserError for %j", (bad, message) => {
    const attempt = () => validateAnswers({ ...complete, ...bad }, dir);
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(message);
  });
});
