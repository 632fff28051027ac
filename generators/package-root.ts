import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NAME = "create-telestion-service";
let found: string | undefined;

/**
 * This package's root folder (where templates/ is). Found by walking up from this file because the
 * same code runs from `generators/` (tsx, tests) and from the bundle in `dist/` (the published bin),
 * at different depths. Looked up once per run.
 */
export function packageRoot(): string {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file) && (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === NAME) return (found = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${NAME}: cannot find its own package.json`);
    dir = parent;
  }
}
