import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** One file of a generated project. */
export interface ProjectFile {
  path: string;
  content: string;
}

/**
 * Writes `files` below `dir`, synchronously: a project is a few dozen small files, and one call each
 * is faster than any batching of promises. An existing file is never overwritten.
 */
export function writeFiles(dir: string, files: readonly ProjectFile[]): void {
  const made = new Set<string>();
  for (const file of files) {
    const target = join(dir, file.path);
    if (!made.has(dirname(target))) {
      mkdirSync(dirname(target), { recursive: true });
      made.add(dirname(target));
    }
    try {
      writeFileSync(target, file.content, { flag: "wx" });
    } catch (err) {
      const exists = (err as NodeJS.ErrnoException).code === "EEXIST";
      throw new Error(`could not generate ${file.path}: ${exists ? "file already exists" : (err as Error).message}`);
    }
  }
}
