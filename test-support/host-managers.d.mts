// Types of host-managers.mjs, which is plain JavaScript so that .ci/run can run it before `npm ci`.
export interface HostManager {
  pm: "pnpm" | "yarn" | "bun";
  /** What `npm install` takes, e.g. "pnpm@9" or "@yarnpkg/cli-dist@4". */
  spec: string;
}
export const MANAGERS_DIR: string;
export const HOST_MANAGERS: HostManager[];
export function binDir(spec: string): string;
export function isInstalled(manager: HostManager): boolean;
