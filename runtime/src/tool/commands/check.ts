/**
 * `telestion check [options] -- <command> [args…]`: runs a service in any language as a child process
 * against a nats-server of the checker's own, and checks it against every rule of the Telestion
 * service standard (check/rules.ts). Exit 0 only when every required rule passes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Command } from "../command.js";
import { positiveInt } from "../connect.js";
import type { CheckContext } from "../check/context.js";
import { findNatsServer, startCheckServer, type CheckServer } from "../check/nats-server.js";
import { formatEntry, isOk, summary, type Report } from "../check/report.js";
import { runRules } from "../check/run-rules.js";
import { RULES } from "../check/rules.js";
import { startRun, type ServiceRun } from "../check/service-process.js";
import { UsageError } from "../usage-error.js";

const DEFAULT_SERVICE_NAME = "checked-service";
const DEFAULT_TIMEOUT_S = 10;

export const check: Command = {
  name: "check",
  usage: "check [options] -- <command> [args…]",
  summary: "check a service (any language) against the Telestion service standard",
  help: [
    "Runs <command> as the service under test, with its own nats-server (user, password, monitoring on free",
    "loopback ports) and a fresh temporary DATA_DIR; the service inherits this environment with NATS_URL,",
    "NATS_USER, NATS_PASSWORD, SERVICE_NAME, DATA_DIR and SERVICE_ID set, or one of them removed. One line per",
    "rule: PASS, FAIL or WARN, the figure measured and, for a failure, what the standard asks. Exit 0 only when",
    "every required rule passes.",
    "",
    "  --nats-server <path>   the nats-server to run (default: the one on PATH)",
    `  --service-name <name>  SERVICE_NAME for the service (default ${DEFAULT_SERVICE_NAME})`,
    `  --timeout <seconds>    how long the service may take to exit without a variable, to connect, and to end`,
    `                         after SIGTERM (default ${DEFAULT_TIMEOUT_S}); health always has the standard's 0.5 s`,
    "  --json                 print the report as JSON on stdout instead (one entry per rule: id, status, …)",
    "",
    "Examples: telestion check -- node dist/main.mjs",
    "          telestion check -- python3 service.py",
  ],
  options: { "nats-server": { type: "string" }, "service-name": { type: "string" }, timeout: { type: "string" }, json: { type: "boolean" } },
  async run({ values, positionals, rest, config }) {
    if (config.keys.length > 0) {
      throw new UsageError(`${config.keys[0]!.split("=")[0]} is not an option of check: the checker sets the service's configuration itself`);
    }
    if (positionals.length > 0) throw new UsageError(`put the service command after --: telestion check -- ${positionals.join(" ")}`);
    if (rest.length === 0) throw new UsageError("the service command is missing: telestion check -- <command> [args…], e.g. telestion check -- node dist/main.mjs");
    const serviceName = (values["service-name"] as string | undefined) ?? DEFAULT_SERVICE_NAME;
    if (!/^[A-Za-z0-9_-]+$/.test(serviceName)) throw new UsageError(`--service-name "${serviceName}" must be letters, digits, _ and - only (it is a queue group name)`);
    const boundMs = 1000 * positiveInt(values["timeout"], "--timeout", DEFAULT_TIMEOUT_S);
    const binary = findNatsServer(values["nats-server"] as string | undefined);
    const json = values["json"] === true;

    const started = performance.now();
    const session = new Session();
    const interrupted = (signal: NodeJS.Signals) => {
      session.cleanup();
      console.error(`telestion check: ${signal}: stopped the service and nats-server`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    // Nobody reads the report any more (`telestion check … | head`): stop everything all the same.
    const closedPipe = (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") return;
      session.cleanup();
      process.exit(1);
    };
    // And whatever else ends the process (a bug in the checker included): 'exit' runs synchronous code.
    const exiting = () => session.cleanup();
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    process.stdout.prependListener("error", closedPipe);
    process.once("exit", exiting);
    try {
      const ctx = await session.open(rest, serviceName, binary, boundMs);
      if (!json) console.log(`telestion check: ${rest.join(" ")} (SERVICE_NAME ${serviceName}, nats-server ${ctx.server.url})`);
      const entries = await runRules(RULES, ctx, (entry) => json || console.log(formatEntry(entry)));
      const report: Report = { ok: isOk(entries), command: rest, durationMs: Math.round(performance.now() - started), rules: entries };
      console.log(json ? JSON.stringify(report, null, 2) : summary(report));
      return report.ok ? 0 : 1;
    } finally {
      await session.close();
      process.off("SIGINT", interrupted);
      process.off("SIGTERM", interrupted);
      process.stdout.off("error", closedPipe);
      process.off("exit", exiting);
    }
  },
};

/** Everything one check starts, so that all of it is stopped: at the end, on error, on Ctrl-C. */
class Session {
  #server: CheckServer | undefined;
  #nc: NatsConnection | undefined;
  #root: string | undefined;
  readonly #runs: ServiceRun[] = [];

  async open(command: string[], serviceName: string, binary: string, boundMs: number): Promise<CheckContext> {
    this.#root = mkdtempSync(join(tmpdir(), "telestion-check-"));
    const server = (this.#server = await startCheckServer(binary));
    const nc = (this.#nc = await connect({ servers: server.url, user: server.checker.user, pass: server.checker.password, name: "telestion check" }));
    const serviceId = `${serviceName}-check-${randomBytes(4).toString("hex")}`;
    const root = this.#root;
    const set = { NATS_URL: server.url, NATS_USER: server.service.user, NATS_PASSWORD: server.service.password, SERVICE_NAME: serviceName, SERVICE_ID: serviceId };
    const mainDataDir = join(root, "data");
    mkdirSync(mainDataDir);
    return {
      command,
      server,
      nc,
      maxPayload: nc.info?.max_payload ?? 1024 * 1024,
      boundMs,
      dataDir: mainDataDir,
      serviceName,
      serviceId,
      dotEnvKeys: dotEnvKeys(),
      env(change = {}) {
        const env: NodeJS.ProcessEnv = { ...process.env, ...set, DATA_DIR: mainDataDir };
        for (const [key, value] of Object.entries(change)) {
          if (value === undefined) delete env[key];
          else env[key] = value;
        }
        return env;
      },
      freshDataDir(label) {
        const dir = join(root, label);
        mkdirSync(dir);
        return dir;
      },
      start: (env) => {
        const run = startRun(command, env);
        this.#runs.push(run);
        return run;
      },
      healthAnswers: false,
      subjects: [],
    };
  }

  /** Synchronous, for a signal handler: kills what is left, removes the folders. */
  cleanup(): void {
    for (const run of this.#runs) run.signal("SIGKILL");
    this.#server?.stop();
    if (this.#root) rmSync(this.#root, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.#nc?.close().catch(() => {});
    this.cleanup();
  }
}

/** The keys `.env` in the working directory defines (none when there is none or it cannot be read). */
function dotEnvKeys(): Set<string> {
  try {
    return new Set(Object.keys(parseEnv(readFileSync(".env", "utf8"))));
  } catch {
    return new Set();
  }
}
