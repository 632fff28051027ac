#!/usr/bin/env node
// Installs every package manager version of host-managers.json that is missing, from the npm registry
// (bun's package carries its binary), and prints the PATH entries that put the first version of each
// manager before whatever the machine has.
import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { HOST_MANAGERS, binDir, isInstalled } from "./host-managers.mjs";

for (const manager of HOST_MANAGERS) {
  if (isInstalled(manager)) continue;
  const prefix = dirname(dirname(binDir(manager.spec)));
  process.stderr.write(`ci: installing ${manager.spec} into ${prefix}\n`);
  execFileSync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", manager.spec], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!isInstalled(manager)) throw new Error(`${manager.spec} installed no ${manager.pm} binary in ${binDir(manager.spec)}`);
}
const first = new Map();
for (const manager of HOST_MANAGERS) if (!first.has(manager.pm)) first.set(manager.pm, binDir(manager.spec));
console.log([...first.values()].join(":"));
