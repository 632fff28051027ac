import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ConfigError } from "./config.js";

/**
 * Makes sure DATA_DIR exists and can be written by this process, so that a service whose data
 * directory is unusable (say, a root-owned bind mount) fails at start, not at its first write.
 */
export function checkDataDir(dir: string): void {
  const problem = writableDirProblem(dir);
  if (problem) throw new ConfigError(`DATA_DIR ${problem}: make it writable for this user or point DATA_DIR elsewhere`);
}

/**
 * Why `dir` cannot hold new files, as "<path> <reason> (<CODE>, uid <n>)", or undefined when it can.
 * It creates the folder and really writes (and removes) a probe file: a read-only file system
 * reports EROFS only on a write, and access(W_OK) is not trustworthy on every mount.
 */
export function writableDirProblem(dir: string): string | undefined {
  const probe = join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(probe, "wx");
    try {
      writeSync(fd, "probe\n");
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
    return undefined;
  } catch (err) {
    return `${dir} ${describeFsError(err)}`;
  }
}

const REASONS: Record<string, string> = {
  EACCES: "is not writable for this user",
  EPERM: "is not writable for this user",
  EROFS: "is on a read-only file system",
  ENOSPC: "has no space left",
  EDQUOT: "is over its disk quota",
  ENOTDIR: "is not a directory (a file is in the way)",
  EEXIST: "is not a directory (a file is in the way)",
};

/** "<reason> (<CODE>, uid <n>)": what an operator needs to fix a file system error. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = (code && REASONS[code]) ?? `cannot be written: ${(err as Error).message}`;
  const uid = process.getuid?.();
  return `${reason} (${[code, uid === undefined ? undefined : `uid ${uid}`].filter(Boolean).join(", ")})`;
}
