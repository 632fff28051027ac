import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";

/**
 * The `--runtime` spec, read once, as package.json gets it. A local directory or tarball (`file:…`,
 * `./…`, `../…`, `/…`, `~/…`, or `….tgz`) becomes `file:<absolute path>`, because the project lives
 * elsewhere than the cwd a relative path was meant from (generate() then copies it into the project's
 * vendor/, see vendor-runtime.ts). Anything else (a version range, tag or URL) is npm's to resolve.
 */
export function runtimeDependency(spec: string, cwd: string): string {
  const path = spec.startsWith("file:") ? spec.slice("file:".length) : spec;
  const looksLocal =
    spec.startsWith("file:") ||
    /^\.\.?([/\\]|$)/.test(path) ||
    isAbsolute(path) ||
    path.startsWith("~/") ||
    (/\.(tgz|tar\.gz|tar)$/.test(path) && !path.includes("://"));
  if (!looksLocal) return spec;
  return `file:${path.startsWith("~/") ? resolve(homedir(), path.slice(2)) : resolve(cwd, path)}`;
}

/** The absolute path of the local runtime in a spec that runtimeDependency made, else undefined. */
export function localRuntime(dependency: string): string | undefined {
  const path = dependency.startsWith("file:") ? dependency.slice("file:".length) : undefined;
  return path !== undefined && isAbsolute(path) ? path : undefined;
}
