import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import prompts, { type PromptType } from "prompts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Context, resolveAnswers } from "../src/answers.js";
import { parseCommandLine } from "../src/args.js";
import { CancelledError, UserError } from "../src/errors.js";
import { init } from "../src/init.js";
import { wrap } from "../src/prompt.js";

/*
 * The real `prompts` questions, answered in-process with prompts.inject. An injected Error is what
 * prompts does on Ctrl-C: it rejects the question, which calls our onCancel.
 */

let cwd: string;
let context: Context;

/** prompts.inject leaves `_injected` as [] once drained, which answers every later question with its default. */
function resetInjection(): void {
  (prompts as unknown as { _injected?: unknown[] })._injected = undefined;
}

function remaining(): unknown[] | undefined {
  return (prompts as unknown as { _injected?: unknown[] })._injected;
}

function flags(...argv: string[]) {
  const command = parseCommandLine(argv);
  if (command.kind !== "create") throw new Error("expected create");
  return command.flags;
}

beforeEach(() => {
  resetInjection();
  cwd = mkdtempSync(join(tmpdir(), "cts-prompt-"));
  context = { cwd, interactive: true, userAgent: "pnpm/9.1.0 npm/? node/v20", version: "1.2.3", warn: () => {} };
});
afterEach(() => {
  resetInjection();
  rmSync(cwd, { recursive: true, force: true });
});

describe("questions for what flags leave open", () => {
  it("asks all seven, in order, when no flag is given", async () => {
    prompts.inject(["svc-dir", "svc-name", "Reads sensors.", "a.*, b.>", "c.get,d.get", false, true]);
    expect(await resolveAnswers(flags(), context)).toEqual({
      directory: "svc-dir",
      name: "svc-name",
      description: "Reads sensors.",
      subscribe: ["a.*", "b.>"],
      subscribeAll: [],
      reply: ["c.get", "d.get"],
      publish: [],
      install: false,
      git: true,
      packageManager: "pnpm",
      runtime: "^1.2.3",
    });
    expect(remaining()).toEqual([]);
  });

  it("asks only what flags leave open", async () => {
    prompts.inject(["Only the description.", true]);
    const answers = await resolveAnswers(
      flags("dir", "--name", "n", "--subscribe", "x", "--reply", "y", "--no-install"),
      context,
    );
    expect(answers).toMatchObject({ directory: "dir", name: "n", description: "Only the description.", git: true });
    expect(answers.subscribe).toEqual(["x"]);
    expect(answers.install).toBe(false);
    expect(remaining()).toEqual([]);
  });

  it("asks nothing when every question is answered by flags", async () => {
    prompts.inject(["must stay unused"]);
    await resolveAnswers(flags("d", "--name=n", "--description=x", "--subscribe=", "--reply=", "--git", "--install"), context);
    expect(remaining()).toEqual(["must stay unused"]);
  });

  it("offers the defaults, the name derived from the directory just answered", async () => {
    // An injected undefined takes the question's initial value, as pressing Enter does.
    prompts.inject(["Ground Station", undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(await resolveAnswers(flags(), context)).toMatchObject({
      directory: "Ground Station",
      name: "ground-station",
      description: "A Telestion service that communicates over NATS.",
      subscribe: ["sensors.>"],
      reply: ["commands.run"],
      install: true,
      git: true,
    });
  });

  it("trims typed text", async () => {
    prompts.inject(["  spaced  ", " spaced-name ", "  Desc.  ", " a ", " b ", false, false]);
    expect(await resolveAnswers(flags(), context)).toMatchObject({
      directory: "spaced",
      name: "spaced-name",
      description: "Desc.",
      subscribe: ["a"],
      reply: ["b"],
    });
  });

  it("still validates what was typed (injected answers bypass the per-question check)", async () => {
    prompts.inject(["dir", "Bad Name", "", "", "", false, false]);
    await expect(resolveAnswers(flags(), context)).rejects.toThrow(UserError);
    resetInjection();
    prompts.inject(["dir", "ok", "", "a", "a", false, false]);
    await expect(resolveAnswers(flags(), context)).rejects.toThrow('subject "a" is both');
  });
});

describe("cancelling", () => {
  it.each([0, 1, 2, 3, 4, 5, 6])("at question %i rejects with CancelledError", async (index) => {
    const answers: unknown[] = ["dir", "name", "desc", "a", "b", true, true];
    answers[index] = new Error("cancelled");
    prompts.inject(answers.slice(0, index + 1));
    await expect(resolveAnswers(flags(), context)).rejects.toThrow(CancelledError);
  });

  it.each([0, 3, 6])("the whole flow at question %i: Cancelled, exit 1, nothing written", async (index) => {
    const answers: unknown[] = ["svc", "svc", "desc", "a", "b", false, false];
    answers[index] = new Error("cancelled");
    prompts.inject(answers.slice(0, index + 1));
    const out: string[] = [];
    const err: string[] = [];
    const code = await init([], {
      cwd,
      env: {},
      interactive: true,
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
    });
    expect(code).toBe(1);
    expect(err.join("")).toBe("Cancelled\n");
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("leaves an existing empty target directory empty", async () => {
    mkdirSync(join(cwd, "target", ".git"), { recursive: true });
    writeFileSync(join(cwd, "target", ".git", "HEAD"), "ref: refs/heads/main\n");
    prompts.inject(["n", new Error("cancelled")]);
    const code = await init(["target"], { cwd, env: {}, interactive: true, stdout: () => {}, stderr: () => {} });
    expect(code).toBe(1);
    expect(readdirSync(join(cwd, "target"))).toEqual([".git"]);
    expect(existsSync(join(cwd, "target", "package.json"))).toBe(false);
  });
});

/**
 * The answer the text question (LinePrompt, prompts type "line" from src/prompt.ts) gives to `keys`,
 * typed on a stream as a terminal sends them: "\x7f" Backspace, "\x15" Ctrl-U, "\r" Enter.
 */
async function answer(initial: string, keys: string): Promise<unknown> {
  const stdin = new PassThrough();
  const asked = prompts({ type: "line" as PromptType, name: "value", message: "Subjects", initial, stdin, stdout: new PassThrough() });
  stdin.write(keys);
  return (await asked).value;
}

describe("line editing in a text question", () => {
  it.each([
    ["Enter takes the default", "\r", "sensors.>"],
    ["typing replaces the default", "a.b\r", "a.b"],
    ["Backspace on the default erases it: Enter then answers empty", "\x7f\r", ""],
    ["Ctrl-U on the default erases it", "\x15\r", ""],
    ["erasing what was typed shows the default again", "ab\x7f\x7f\r", "sensors.>"],
    ["after erasing the default, what is typed", "\x7fa.b\r", "a.b"],
    ["Ctrl-U clears what was typed before the cursor", "wrong\x15a.b\r", "a.b"],
    ["Ctrl-W deletes the word before the cursor and the spaces after it", "a.b, c.d  \x17e.f\r", "a.b, e.f"],
    ["Ctrl-A and Ctrl-E move to the start and the end", "b.c\x01a.\x05.d\r", "a.b.c.d"],
    ["Home and End move to the start and the end", "b\x1b[Ha\x1b[Fc\r", "abc"],
    ["Ctrl-U keeps what is after the cursor", "x.a.b\x1b[D\x1b[D\x1b[D\x15\r", "a.b"],
    ["other control characters and function keys are not typed", "a\x02\x0b\x1b[15~\x00b\r", "ab"],
  ])("%s", async (_name, keys, expected) => {
    expect(await answer("sensors.>", keys)).toBe(expected);
  });
});

describe("wrap: problems shown under a question fit the terminal", () => {
  it("breaks at spaces, keeps short text whole, and cuts a word longer than the width", () => {
    expect(wrap("short enough", 76)).toBe("short enough");
    const long = 'subscription subject "sensors.>" and reply subject "sensors.get" overlap, and NATS hands each message of a queue group to only one handler';
    const lines = wrap(long, 76).split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(76);
    expect(lines.join(" ")).toBe(long);
    expect(wrap("x".repeat(100), 40).split("\n")).toEqual(["x".repeat(40), "x".repeat(40), "x".repeat(20)]);
  });
});

