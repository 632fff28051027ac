/**
 * The complete, validated answers that generation needs. Produced from flags (and prompts for
 * what flags leave open); validation lives in one place and serves both paths.
 */
export type PackageManager = "npm" | "pnpm" | "yarn" | "bun";

export interface Answers {
  /** Target directory as the user gave it (relative to cwd, or absolute). */
  directory: string;
  /** npm package name of the generated service; also its default SERVICE_NAME. */
  name: string;
  description: string;
  /** Subjects to subscribe to (queue group = SERVICE_NAME); wildcards allowed. */
  subscribe: string[];
  /** Subjects to answer requests on; no wildcards. */
  reply: string[];
  install: boolean;
  git: boolean;
  packageManager: PackageManager;
  /** The dependency spec written for telestion-runtime (a version range, a path or a tarball). */
  runtime: string;
}
