// The installed command: after `npm ci && npm run build`, node_modules/.bin/telestion runs the built CLI.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, RUNTIME } from "./helpers/cli.js";

const BIN = join(REPO, "node_modules", ".bin", "telestion");
const run = (...args: string[]) => spawnSync(BIN, args, { encoding: "utf8", cwd: REPO });

describe("node_modules/.bin/telestion", () => {
  it("--version prints the package's version; --help lists every command", () => {
    const { version } = JSON.parse(readFileSync(join(RUNTIME, "package.json"), "utf8")) as { version: string };
    expect(run("--version")).toMatchObject({ status: 0, stdout: `${version}\n` });
    const help = run("--help");
    expect(help.status).toBe(0);
    for (const command of ["check", "ls", "req", "pub", "sub", "logs"]) expect(help.stdout).toContain(`telestion ${command} `);
  });

  it("an unknown command: one line naming the commands, exit 2", () => {
    expect(run("lst")).toMatchObject({
      status: 2,
      stdout: "",
      stderr: 'telestion: unknown command "lst": use one of check, ls, req, pub, sub, logs (telestion --help)\n',
    });
  });
});
