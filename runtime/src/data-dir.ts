import { accessSync, constants, mkdirSync } from "node:fs";
import { ConfigError } from "./config.js";

/**
 * Makes sure DATA_DIR exists and can be written by this process, so that a service whose data
 * directory is unusable (say, a root-owned bind mount) fails at start, not at its first write.
 */
export function checkDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const uid = process.getuid?.();
    throw new ConfigError(
      `DATA_DIR ${dir} is not writable${uid === undefined ? "" : ` by uid ${uid}`} (${code}): make it writable for this user or point DATA_DIR elsewhere`,
    );
  }
}
