import { statSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import validatePackageName from "validate-npm-package-name";
import { registrationsProblem, subjectProblem, type Registration, type SubjectKind } from "../runtime/src/subjects.js";
import { publicationProblem } from "../generators/handlers.js";
import { PACKAGE_MANAGERS, isPackageManager } from "../generators/package-manager.js";
import { localRuntime } from "./runtime-spec.js";

/*
 * Every rule for user input, used by flags and prompts alike. Each check returns undefined when
 * the value is fine, or one line that names the problem and the fix: prompts show it under the
 * question, the CLI prints it and exits 1.
 */

export { subjectProblem, type SubjectKind };

/** Line breaks, tabs and other C0 control characters, and DEL. */
const hasControl = (text: string) => [...text].some((char) => char.charCodeAt(0) < 0x20 || char === "\u007f");

/** npm's rules for new packages; the name is also the service's default SERVICE_NAME. */
export function nameProblem(name: string): string | undefined {
  const result = validatePackageName(name);
  if (result.validForNewPackages) return undefined;
  const reason = [...(result.errors ?? []), ...(result.warnings ?? [])][0] ?? "not a valid npm package name";
  const suggestion = toValidPackageName(name);
  const fix = suggestion && suggestion !== name ? `try "${suggestion}"` : "use lowercase letters, digits and dashes";
  return `package name "${name}" is invalid (${reason}); ${fix}`;
}

/** The closest valid package name to `text` (same idea as create-vite's), or "" if none is left. */
export function toValidPackageName(text: string): string {
  const candidate = text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "-")
    .replace(/^[._]+/, "")
    .replace(/[^a-z\d._-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return validatePackageName(candidate).validForNewPackages ? candidate : "";
}

/** It lands in package.json and the README, so one line of plain text. */
export function descriptionProblem(description: string): string | undefined {
  return hasControl(description)
    ? "description must be a single line of text; remove line breaks and control characters"
    : undefined;
}

/**
 * Subjects from repeated flags and/or comma-separated text: "a, b" and ["a", "b"] both mean a and b.
 * Blank entries are dropped, so `--subscribe ""` means "none".
 */
export function splitSubjects(values: string | readonly string[]): string[] {
  return [values]
    .flat()
    .flatMap((value) => value.split(","))
    .map((subject) => subject.trim())
    .filter((subject) => subject !== "");
}

/**
 * Each subject valid, and no two of them overlapping (wildcard-aware): the handlers of one service
 * share a queue group, where NATS hands each message to only one of them. The runtime refuses
 * the same at registration; the rule is telestion-runtime's (runtime/src/subjects.ts).
 */
export function subjectsProblem(subscribe: readonly string[], reply: readonly string[]): string | undefined {
  const registrations: Registration[] = [
    ...subscribe.map((subject) => ({ subject, kind: "subscribe" as const })),
    ...reply.map((subject) => ({ subject, kind: "reply" as const })),
  ];
  for (const { subject, kind } of registrations) {
    const problem = subjectProblem(subject, kind);
    if (problem) return problem;
  }
  return registrationsProblem(registrations);
}

/**
 * A publisher given as `<subject>[@<interval>]` (`sensors.temperature@500ms`): a concrete subject by the
 * runtime's rule, an interval in ms or s (generators/handlers.ts, which `npm run generate` shares).
 */
export function publishProblem(publication: string): string | undefined {
  return publicationProblem(publication, (subject) => subjectProblem(subject, "publish"));
}

/**
 * The target must not exist yet or be an empty directory (a lone `.git`, e.g. a freshly cloned
 * empty repository, counts as empty). We never overwrite or delete anything that is already there.
 */
export function directoryProblem(directory: string, cwd: string): string | undefined {
  if (directory.trim() === "") return 'directory is empty; give a directory such as "my-service"';
  const target = resolve(cwd, directory);
  try {
    if (!statSync(target).isDirectory()) {
      return `"${directory}" exists and is not a directory; choose a new or empty directory`;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") return `"${directory}" has a file where a directory should be in its path; choose another directory`;
    return `cannot use directory "${directory}" (${code ?? String(error)}); choose another directory`;
  }
  const entries = readdirSync(target).filter((entry) => entry !== ".git");
  if (entries.length === 0) return undefined;
  const shown = entries.slice(0, 3).join(", ") + (entries.length > 3 ? ` and ${entries.length - 3} more` : "");
  return `directory "${directory}" is not empty (it contains ${shown}); choose a new or empty directory, nothing is ever overwritten`;
}

export function packageManagerProblem(value: string): string | undefined {
  return isPackageManager(value)
    ? undefined
    : `unknown package manager "${value}"; use one of ${PACKAGE_MANAGERS.join(", ")}`;
}

/** A runtime spec as runtimeDependency (runtime-spec.ts) made it: not empty, and a local one exists. */
export function runtimeProblem(dependency: string): string | undefined {
  if (dependency.trim() === "") return "--runtime is empty; give a version range such as ^0.1.0, a directory or a tarball";
  const path = localRuntime(dependency);
  try {
    if (path !== undefined) statSync(path);
  } catch {
    return `--runtime points at ${path}, which does not exist; give an existing directory or tarball, or a version range`;
  }
  return undefined;
}
