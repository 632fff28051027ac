import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../generators/package-root.js";

/** This package's own name and version. */
export function ownPackage(): { name: string; version: string } {
  const json = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { name: string; version?: unknown };
  if (typeof json.version !== "string") throw new Error(`${json.name}: its package.json has no version`);
  return { name: json.name, version: json.version };
}
