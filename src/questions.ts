import { basename, resolve } from "node:path";
import { DEFAULT_INTERVAL } from "../generators/handlers.js";
import { PACKAGE_MANAGERS, type PackageManager } from "../generators/package-manager.js";
import type { Answers } from "./answers.js";
import { runtimeDependency } from "./runtime-spec.js";
import {
  descriptionProblem,
  directoryProblem,
  nameProblem,
  packageManagerProblem,
  publishProblem,
  runtimeProblem,
  subjectProblem,
  subjectsProblem,
  toValidPackageName,
} from "./validate.js";

/** What a default may depend on besides the answers before it. */
export interface Setting {
  cwd: string;
  /** The package manager that launched us (npm_config_user_agent), else npm. */
  packageManager: PackageManager;
  /** This package's version: the runtime defaults to ^version. */
  version: string;
}

/**
 * How an answer is given on the command line:
 *   directory  the positional argument
 *   text       `--flag <value>`
 *   list       `--flag <value>`, repeated or comma-separated; `--flag ""` for none
 *   switch     `--flag` or `--no-flag`, the last one given winning
 */
export type Kind = "directory" | "text" | "list" | "switch";

/** Everything about one answer. */
export interface Question<T> {
  kind: Kind;
  /** The option's name, without dashes. */
  flag: string;
  /** A text answer as typed or given: read into the answer (cwd: a relative path is relative to it). */
  read?: (text: string, cwd: string) => T;
  /** The question on a terminal, given the answers before it; none: an option only, never asked. */
  prompt?: (earlier: Partial<Answers>) => string;
  /** The default, given the answers before it: offered by the question, taken with --yes or without a terminal. */
  initial: (earlier: Partial<Answers>, setting: Setting) => T;
  /** undefined when the value is fine, else one line that names the problem and the fix (validate.ts). */
  problem: (value: T, earlier: Partial<Answers>, cwd: string) => string | undefined;
  /** --help: the option as written, then what it means and its default. */
  help?: (setting: Setting) => [usage: string, ...lines: string[]];
}

const DIRECTORY = "telestion-service";
const DESCRIPTION = "A Telestion service that communicates over NATS.";
/** A working demo: one subscription and one request/reply handler. */
const SUBSCRIBE = ["sensors.>"];
const REPLY = ["commands.run"];

/**
 * Every answer, in the order they are asked. Pressing Enter at every question, --yes, and running
 * without a terminal all give the same answers, so a script gets what a person would by default.
 * Flags (args.ts), defaults and questions (answers.ts, prompt.ts), checks and --help all come from here.
 */
export const QUESTIONS: { [K in keyof Answers]: Question<Answers[K]> } = {
  directory: {
    kind: "directory",
    flag: "directory",
    prompt: () => "Directory for the new service",
    initial: () => DIRECTORY,
    problem: (directory, _, cwd) => directoryProblem(directory, cwd),
  },
  name: {
    kind: "text",
    flag: "name",
    prompt: () => "Service name (npm package name and SERVICE_NAME)",
    // The directory's own name made valid ("My Service" → "my-service").
    initial: ({ directory = DIRECTORY }, { cwd }) => toValidPackageName(basename(resolve(cwd, directory))) || DIRECTORY,
    problem: nameProblem,
    help: () => ["--name <name>", "npm package name, also the default SERVICE_NAME", "default: the directory's name"],
  },
  description: {
    kind: "text",
    flag: "description",
    prompt: () => "Description",
    initial: () => DESCRIPTION,
    problem: descriptionProblem,
    help: () => ["--description <text>", "one line for package.json and the README", `default: "${DESCRIPTION}"`],
  },
  subscribe: {
    kind: "list",
    flag: "subscribe",
    prompt: () => "Subjects to subscribe to (* and > allowed; empty: none)",
    initial: () => [...SUBSCRIBE],
    problem: (subscribe) => subjectsProblem(subscribe, []),
    help: () => [
      "--subscribe <subject>",
      "a subject to subscribe to in queue group SERVICE_NAME; the",
      "wildcards * and > are allowed; repeat, or separate with commas",
      `default: ${SUBSCRIBE.join(", ")} (--subscribe "" for none)`,
    ],
  },
  subscribeAll: {
    kind: "list",
    flag: "subscribe-all",
    // An option only: state subscriptions are the rarer kind, and `npm run generate` offers them too.
    initial: () => [],
    // No queue group: every instance gets every message, and the runtime's overlap rule, which holds
    // within a queue group, has nothing to refuse; each subject must still be one NATS accepts.
    problem: (subscribeAll) => subscribeAll.map((subject) => subjectProblem(subject, "subscribe")).find(Boolean),
    // The usage fills the column: the text starts on the next line.
    help: () => [
      "--subscribe-all <subject>",
      "",
      "a subject every instance subscribes to, with no queue group",
      "({ queue: false }): for state each instance keeps; wildcards",
      "allowed; repeat, or separate with commas",
      "default: none",
    ],
  },
  reply: {
    kind: "list",
    flag: "reply",
    prompt: () => "Subjects to answer requests on (empty: none)",
    initial: () => [...REPLY],
    // Checked together with the subscriptions: no two handlers of one service may overlap.
    problem: (reply, { subscribe = [] }) => subjectsProblem(subscribe, reply),
    help: () => [
      "--reply <subject>",
      "a subject to answer requests on, without wildcards; repeat,",
      "or separate with commas",
      `default: ${REPLY.join(", ")} (--reply "" for none)`,
    ],
  },
  publish: {
    kind: "list",
    flag: "publish",
    // An option only, like --subscribe-all: `npm run generate` offers publishers too.
    initial: () => [],
    // Publishing is no subscription: it joins no queue group, so only the subject and interval are checked.
    problem: (publish) => publish.map(publishProblem).find(Boolean),
    help: () => [
      "--publish <subject>[@<interval>]",
      "",
      "a subject to publish a simulated sensor reading on every",
      `interval (ms or s, e.g. sensors.temperature@500ms; ${DEFAULT_INTERVAL} if`,
      "none), by service.publishEvery; no wildcards; repeat, or",
      "separate with commas",
      "default: none",
    ],
  },
  packageManager: {
    kind: "text",
    flag: "package-manager",
    // Any text for now; problem() names the managers there are.
    read: (text) => text as PackageManager,
    initial: (_, setting) => setting.packageManager,
    problem: packageManagerProblem,
    help: (setting) => [
      "--package-manager <pm>",
      `${PACKAGE_MANAGERS.join(", ")}: installs, and appears in the next steps`,
      `default: from npm_config_user_agent, else npm (now: ${setting.packageManager})`,
    ],
  },
  runtime: {
    kind: "text",
    flag: "runtime",
    read: runtimeDependency,
    // Released together with this generator.
    initial: (_, { version }) => `^${version}`,
    problem: runtimeProblem,
    help: ({ version }) => [
      "--runtime <spec>",
      "the telestion-runtime dependency: a version range, or a local",
      "directory or tarball, copied into the project's vendor/ folder",
      `default: ^${version}`,
    ],
  },
  install: {
    kind: "switch",
    flag: "install",
    prompt: ({ packageManager }) => `Install dependencies with ${packageManager} now?`,
    // Like create-next-app: a generated project is ready to run unless the user opts out.
    initial: () => true,
    problem: () => undefined,
    help: () => ["--install, --no-install", "install dependencies after generating", "default: --install"],
  },
  git: {
    kind: "switch",
    flag: "git",
    prompt: () => "Initialise a git repository with a first commit?",
    initial: () => true,
    problem: () => undefined,
    help: () => ["--git, --no-git", "git init and a first commit (skipped inside a git repository)", "default: --git"],
  },
};

/** The answers' names in the table's order. */
export const KEYS = Object.keys(QUESTIONS) as (keyof Answers)[];
