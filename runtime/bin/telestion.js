#!/usr/bin/env node
// The `telestion` command. A plain file in the repository, not built: npm links a workspace's bin at
// install time only when the file exists, and dist/ is built after `npm ci`.
let cli;
try {
  cli = await import("../dist/tool/cli.js");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("dist")) throw err;
  console.error("telestion: not built yet: run npm run build (in the repository root)");
  process.exit(2);
}
process.exitCode = await cli.main(process.argv.slice(2));
