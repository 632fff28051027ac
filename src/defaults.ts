import { basename, resolve } from "node:path";
import { toValidPackageName } from "./validate.js";

/**
 * What every question defaults to. Pressing Enter at every prompt, passing --yes, and running
 * without a terminal all give the same answers, so a script gets what a person would by default.
 */
export const DEFAULTS = {
  directory: "telestion-service",
  description: "A Telestion service that communicates over NATS.",
  // A working demo: one subscription and one request/reply handler (`--subscribe ""` for none).
  subscribe: ["sensors.>"] as string[],
  reply: ["commands.run"] as string[],
  // Like create-next-app: a generated project is ready to run unless the user opts out.
  install: true,
  git: true,
} as const;

/** The directory's own name made into a valid package name ("My Service" → "my-service"). */
export function defaultName(directory: string, cwd: string): string {
  return toValidPackageName(basename(resolve(cwd, directory))) || DEFAULTS.directory;
}

/** The generated service depends on the runtime released together with this generator. */
export function defaultRuntime(ownVersion: string): string {
  return `^${ownVersion}`;
}
