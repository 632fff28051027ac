import { readdirSync } from "node:fs";
import { join } from "node:path";

/** The files under `dir` (recursively), relative with `/` separators, sorted. */
export function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = prefix + entry.name;
      return entry.isDirectory() ? listFiles(join(dir, entry.name), `${path}/`) : entry.isFile() ? [path] : [];
    })
    .sort();
}
