// `telestion check` against real services and its own real nats-server: a service on telestion-runtime
// and a Python service (nats-py) pass; Python services with one flaw each fail, naming the rule.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../../src/tool/check/report.js";
import { FIXTURES, pythonProblem, runCli, startCli, TSX } from "./helpers/cli.js";

const TS_SERVICE = [process.execPath, "--import", TSX, join(FIXTURES, "runtime-service.ts")];
const PY_SERVICE = ["python3", join(FIXTURES, "service.py")];
const python = pythonProblem();

async function checkJson(command: string[], options: { cwd?: string; timeout?: number } = {}): Promise<{ code: number | null; report: Report }> {
  const timeout = options.timeout === undefined ? [] : ["--timeout", String(options.timeout)];
  const { code, stdout, stderr } = await runCli(["check", "--json", ...timeout, "--", ...command], { cwd: options.cwd });
  try {
    return { code, report: JSON.parse(stdout) as Report };
  } catch {
    throw new Error(`check printed no JSON (exit ${code}): ${stdout}\n${stderr}`);
  }
}

function statusOf(report: Report, id: string): string | undefined {
  return report.rules.find((entry) => entry.id === id)?.status;
}

const EVERY_RULE = [
  "config.NATS_URL", "config.NATS_USER", "config.NATS_PASSWORD", "config.SERVICE_NAME", "config.DATA_DIR", "config.credentials",
  "connects", "health", "health.dot", "queue-groups",
  "bodies.json", "bodies.empty", "bodies.text", "bodies.invalid-utf8", "bodies.binary", "bodies.large",
  "shutdown", "data-dir", "output",
];

describe("telestion check: compliant services pass", () => {
  it("a service on telestion-runtime: every rule passes, exit 0", async () => {
    const { code, report } = await checkJson(TS_SERVICE);
    expect(report.rules.map((entry) => entry.id)).toEqual(EVERY_RULE);
    expect(report.rules.filter((entry) => entry.status !== "PASS")).toEqual([]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  }, 60_000);

  it.skipIf(python)(`a Python service (nats-py) passes; the dot form of health is only a warning${python ? ` (skipped: ${python})` : ""}`, async () => {
    const { code, report } = await checkJson(PY_SERVICE);
    expect(report.rules.filter((entry) => entry.status !== "PASS").map((entry) => [entry.id, entry.status])).toEqual([["health.dot", "WARN"]]);
    expect(report.rules.find((entry) => entry.id === "data-dir")!.measured).toBe("wrote into checked-service/ only");
    expect(code).toBe(0);
  }, 60_000);
});

describe("telestion check: a .env in the working directory", () => {
  it("a configuration run that .env undoes is a warning, not a failure", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "telestion-check-dotenv-"));
    try {
      // telestion-runtime reads .env: started without SERVICE_NAME in its environment, it still has one.
      writeFileSync(join(cwd, ".env"), "SERVICE_NAME=from-dotenv\n");
      const { code, report } = await checkJson(TS_SERVICE, { cwd, timeout: 5 });
      const notPassed = report.rules.filter((entry) => entry.status !== "PASS");
      expect(notPassed.map((entry) => [entry.id, entry.status])).toEqual([["config.SERVICE_NAME", "WARN"]]);
      expect(notPassed[0]!.measured).toMatch(/^not conclusive: still running 5 s after starting without SERVICE_NAME .* but \.env in the working directory defines SERVICE_NAME/);
      expect(code).toBe(0);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(python)(`telestion check: Python services with one flaw fail, naming the rule${python ? ` (skipped: ${python})` : ""}`, () => {
  it("one that starts without its variables: config.SERVICE_NAME and config.DATA_DIR fail", async () => {
    // --timeout 5: the runs that do not end are stopped after 5 s instead of 10.
    const { code, report } = await checkJson([...PY_SERVICE, "ignores-config"], { timeout: 5 });
    expect(report.rules.filter((entry) => entry.status === "FAIL").map((entry) => entry.id)).toEqual(["config.SERVICE_NAME", "config.DATA_DIR"]);
    expect(report.rules.find((entry) => entry.id === "config.DATA_DIR")!.measured).toMatch(/^still running 5 s after starting without DATA_DIR/);
    expect(code).toBe(1);
  }, 60_000);

  it("one with no health replies: health fails", async () => {
    const { code, report } = await checkJson([...PY_SERVICE, "no-health"]);
    expect(report.rules.filter((entry) => entry.status === "FAIL").map((entry) => entry.id)).toEqual(["health"]);
    expect(report.rules.find((entry) => entry.id === "health")!.measured).toContain("nobody subscribes to __telestion__/health");
    // Without health, bodies are judged by the process staying alive.
    expect(statusOf(report, "bodies.binary")).toBe("PASS");
    expect(code).toBe(1);
  }, 60_000);

  it("one that crashes on a binary body: bodies.invalid-utf8 fails with its last line; later classes are not checked", async () => {
    const { code, report } = await checkJson([...PY_SERVICE, "crashes-on-binary"]);
    const failed = report.rules.filter((entry) => entry.status === "FAIL");
    expect(failed.map((entry) => entry.id)).toEqual(["bodies.invalid-utf8"]);
    expect(failed[0]!.measured).toMatch(/the service ended \(exit 1\); its last line: UnicodeDecodeError/);
    expect(statusOf(report, "bodies.binary")).toBe("WARN");
    expect(statusOf(report, "shutdown")).toBe("WARN");
    expect(code).toBe(1);
  }, 60_000);

  it("one that subscribes in a foreign queue group: queue-groups fails, in the one-line-per-rule text report", async () => {
    const { code, stdout } = await runCli(["check", "--", ...PY_SERVICE, "foreign-queue-group"]);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^telestion check: python3 .*service\.py foreign-queue-group \(SERVICE_NAME checked-service, nats-server nats:\/\/127\.0\.0\.1:\d+\)$/);
    const rules = lines.slice(1, -1);
    expect(rules).toHaveLength(EVERY_RULE.length);
    for (const line of rules) expect(line).toMatch(/^(PASS|FAIL|WARN) \S+ +\S/);
    expect(rules.filter((line) => line.startsWith("FAIL"))).toEqual([
      expect.stringMatching(
        /^FAIL queue-groups +1 of 1 in a queue group not named by SERVICE_NAME "checked-service": python\.readings\.\* \(queue group "other-service"\) · standard: a subscription in a queue group uses SERVICE_NAME or a name derived from it/,
      ),
    ]);
    expect(lines.at(-1)).toMatch(/^required rule\(s\) failed: queue-groups \(17 passed, 1 failed, 1 warning\(s\), in [\d.]+ s\)$/);
    // The passwords are 24 random hex digits: none is ever printed.
    expect(stdout).not.toMatch(/[0-9a-f]{24}/);
    expect(code).toBe(1);
  }, 60_000);

  it("queue groups are optional: without one, or in one derived from SERVICE_NAME, queue-groups passes", async () => {
    for (const [variant, measured] of [
      ["no-queue-group", /^1 subscription\(s\), none in a queue group \(every instance gets every message\): python\.readings\.\* \(no queue group\)$/],
      ["derived-queue-group", /^1 subscription\(s\), all in queue groups of SERVICE_NAME: python\.readings\.\* \(queue group "checked-service\.readings"\)$/],
    ] as const) {
      const { code, report } = await checkJson([...PY_SERVICE, variant]);
      expect(report.rules.find((entry) => entry.id === "queue-groups")).toMatchObject({ status: "PASS", measured: expect.stringMatching(measured) });
      expect(code).toBe(0);
    }
  }, 120_000);

  it("one that prints its password: config.credentials and output fail (output is required for this)", async () => {
    const { code, report } = await checkJson([...PY_SERVICE, "prints-password"]);
    const failed = report.rules.filter((entry) => entry.status === "FAIL");
    expect(failed.map((entry) => entry.id)).toEqual(["config.credentials", "output"]);
    expect(failed[0]!.measured).toMatch(/^printed the password it was given \(exit 1 after [\d.]+ s\)$/);
    expect(failed[1]).toMatchObject({ required: true, measured: "printed NATS_PASSWORD, which must stay secret" });
    // The checker itself never repeats it: passwords are 24 random hex digits.
    expect(JSON.stringify(report)).not.toMatch(/[0-9a-f]{24}/);
    expect(code).toBe(1);
  }, 60_000);

  it("Ctrl-C stops the service and nats-server, and exits 130", async () => {
    const marker = `ctrl-c-${process.pid}`;
    const checker = startCli(["check", "--", ...PY_SERVICE, "none", marker]);
    await checker.waitFor(/^PASS connects/m, 30_000);
    const port = Number(/nats-server nats:\/\/127\.0\.0\.1:(\d+)/.exec(checker.stdout())![1]);
    expect(processesWith(marker)).not.toEqual([]);
    checker.kill("SIGINT");
    const { code, stderr } = await checker.finished;
    expect(code).toBe(130);
    expect(stderr).toContain("telestion check: SIGINT: stopped the service and nats-server");
    expect(processesWith(marker)).toEqual([]);
    expect(await portOpen(port)).toBe(false);
  }, 60_000);
});

describe.skipIf(python)(`telestion check: a reader that goes away${python ? ` (skipped: ${python})` : ""}`, () => {
  it("(`check … | head -1`): the service and nats-server are stopped all the same", async () => {
    const marker = `closed-pipe-${process.pid}`;
    const checker = startCli(["check", "--", ...PY_SERVICE, "none", marker]);
    await checker.waitFor(/^telestion check: /m, 30_000);
    const port = Number(/nats-server nats:\/\/127\.0\.0\.1:(\d+)/.exec(checker.stdout())![1]);
    checker.closeStdout();
    const { code } = await checker.finished;
    expect(code).toBe(1);
    expect(processesWith(marker)).toEqual([]);
    expect(await portOpen(port)).toBe(false);
  }, 60_000);
});

describe("telestion check: bad input", () => {
  it("without nats-server: one line saying how to install it, exit 2", async () => {
    const { code, stdout, stderr } = await runCli(["check", "--", "true"], { env: { PATH: "/nonexistent" } });
    expect(stderr.trim()).toBe(
      "telestion check: nats-server is not on PATH: install it (Debian/Ubuntu: apt-get install nats-server; elsewhere a release from https://github.com/nats-io/nats-server/releases) or pass --nats-server <path>",
    );
    expect(stdout).toBe("");
    expect(code).toBe(2);
  });

  it("without a command, with a bad --timeout, with a command that does not exist: one line, exit 2", async () => {
    const none = await runCli(["check"]);
    expect(none.stderr.trim()).toMatch(/^telestion check: the service command is missing: telestion check -- <command>/);
    expect(none.code).toBe(2);
    const timeout = await runCli(["check", "--timeout", "0", "--", "true"]);
    expect(timeout.stderr).toBe('telestion check: --timeout needs a positive whole number, got "0"\n');
    expect(timeout.code).toBe(2);
    const missing = await runCli(["check", "--", "no-such-command-here"]);
    expect(missing.stderr.trim().split("\n").at(-1)).toBe(
      'telestion check: cannot start "no-such-command-here" (ENOENT): check the command after -- (is it installed and on PATH?)',
    );
    expect(missing.code).toBe(2);
  }, 30_000);
});

/** The processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  const ps = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return ps.split("\n").filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}
