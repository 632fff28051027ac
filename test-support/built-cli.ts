import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The bin of the package, as `npm create telestion-service` runs it. */
export const CLI = join(REPO, "dist", "cli.mjs");

/**
 * Bundles the CLI (scripts/build-cli.mjs) unless dist/cli.mjs is newer than every source it comes
 * from, so tests of the built CLI never run a stale one; returns its path.
 */
export function builtCli(): string {
  const sources = ["src", "generators", "scripts", "templates"].flatMap((dir) =>
    readdirSync(join(REPO, dir), { recursive: true, encoding: "utf8" }).map((file) => join(REPO, dir, file)),
  );
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newest) {
    execFileSync(process.execPath, [join(REPO, "scripts", "build-cli.mjs")], { cwd: REPO, stdio: "pipe" });
  }
  return CLI;
}
