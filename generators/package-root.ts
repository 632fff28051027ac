import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NAME = "create-telestion-service";

/**
 * This package's root folder (where templates/ is). Found by walking up from this file because the
 * same code runs from `generators/` (tsx, tests) and from the bundle in `dist/` (the published bin),
 * at different depths.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${NAME}: cannot find its own package.json`);
    dir = parent;
  }
}
