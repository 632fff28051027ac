import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * This package's own package.json. Found by walking up from this file because the same code runs
 * from `src/` (tsx, tests) and from `dist/src/` (the published bin), at different depths.
 */
export function ownPackage(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
      if (json.name === "create-telestion-service" && typeof json.version === "string") {
        return { name: json.name, version: json.version };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("create-telestion-service: cannot find its own package.json");
    dir = parent;
  }
}
