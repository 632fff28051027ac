/**
 * The checker's own nats-server: free loopback ports (the server picks them and writes a ports file),
 * one user for the service and another for the checker (so /connz tells their connections apart),
 * random passwords, and HTTP monitoring for /connz. The tool ships its own copy of what the repository's
 * test-support does, since that folder is not published.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../usage-error.js";

export interface Credentials {
  user: string;
  password: string;
}

export interface CheckServer {
  url: string;
  monitorUrl: string;
  /** What the service under test gets. */
  service: Credentials;
  /** What the checker itself connects with. */
  checker: Credentials;
  /** Ends the server and removes its folder; synchronous, so that it also works in a signal handler. */
  stop(): void;
}

const READY_TIMEOUT_MS = 10_000;
const INSTALL_HINT =
  "install it (Debian/Ubuntu: apt-get install nats-server; elsewhere a release from https://github.com/nats-io/nats-server/releases) or pass --nats-server <path>";

/** The nats-server to run: `--nats-server <path>`, else the first on PATH; bad input otherwise. */
export function findNatsServer(option: string | undefined): string {
  if (option !== undefined) {
    if (!isExecutable(option)) throw new UsageError(`--nats-server ${option} is not an executable file: ${INSTALL_HINT}`);
    return option;
  }
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir || ".", "nats-server");
    if (isExecutable(candidate)) return candidate;
  }
  throw new UsageError(`nats-server is not on PATH: ${INSTALL_HINT}`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function startCheckServer(binary: string): Promise<CheckServer> {
  const dir = mkdtempSync(join(tmpdir(), "telestion-check-nats-"));
  const service = { user: "service", password: secret() };
  const checker = { user: "telestion-check", password: secret() };
  const users = [service, checker].map((c) => `{ user: ${JSON.stringify(c.user)}, password: ${JSON.stringify(c.password)} }`);
  const config = join(dir, "nats.conf");
  writeFileSync(config, [`listen: 127.0.0.1:-1`, `http: 127.0.0.1:-1`, `authorization { users = [ ${users.join(", ")} ] }`, ""].join("\n"));
  const child = spawn(binary, ["-c", config, "--ports_file_dir", dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  child.once("error", (err) => (stderr += ` ${err.message}`));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await readPorts(dir, child, () => stderr);
    return { url: ports.nats, monitorUrl: ports.monitoring, service, checker, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

/** A password no service could guess or print by accident. */
export function secret(): string {
  return randomBytes(12).toString("hex");
}

async function readPorts(dir: string, child: ChildProcess, stderr: () => string): Promise<{ nats: string; monitoring: string }> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const file = readdirSync(dir).find((name) => name.endsWith(".ports"));
    if (file) {
      try {
        const ports = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nats: string[]; monitoring: string[] };
        if (ports.nats[0] && ports.monitoring[0]) return { nats: ports.nats[0], monitoring: ports.monitoring[0] };
      } catch {
        // written but not complete yet
      }
    }
    await sleep(10);
  }
  throw new UsageError(`nats-server did not start: ${stderr().trim().split("\n").pop() || "no output"}`);
}
