import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface NatsServerOptions {
  /** Require this user and password. */
  auth?: { user: string; password: string };
  /** Also serve the HTTP monitoring endpoints (/subsz, /connz). */
  monitor?: boolean;
  /** More lines for the config file, e.g. `max_pending: 262144`. */
  config?: string[];
  /**
   * A whole config file instead of the lines above (auth, monitor and config are then ignored), e.g. a
   * generated nats.conf; its ports must be -1 (random), as the test reads them from the ports file
   * (so restart() takes new ones).
   */
  configText?: string;
  /** Variables for the server's environment, which the config reads as $NAME. */
  env?: Record<string, string>;
}

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** http://127.0.0.1:PORT, when started with `monitor`. */
  monitorUrl: string | undefined;
  /** ws://127.0.0.1:PORT, when the config has a websocket block. */
  websocketUrl: string | undefined;
  /** Stops the process (SIGTERM), waits for it to exit, and removes its folder. */
  stop(): Promise<void>;
  /** Starts it again on the same port, e.g. after `stop()` for a reconnect test. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * Starts a real nats-server on a free loopback port with its own config file,
 * as the tests and benchmarks need it. Requires `nats-server` on PATH.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "nats-test-"));
  let server = await launch(dir, options, -1, options.monitor ? -1 : undefined);
  const ports = await readPorts(dir, server);
  const port = ports.nats;
  const monitorPort = ports.monitoring;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorUrl: monitorPort ? `http://127.0.0.1:${monitorPort}` : undefined,
    websocketUrl: ports.websocket,
    async stop() {
      await terminate(server.child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await terminate(server.child);
      mkdirSync(dir, { recursive: true });
      server = await launch(dir, options, port, monitorPort);
      await readPorts(dir, server);
    },
  };
}

interface Launched {
  child: ChildProcess;
  stderr: () => string;
}

async function launch(dir: string, options: NatsServerOptions, port: number, monitorPort: number | undefined): Promise<Launched> {
  for (const file of readdirSync(dir)) if (file.endsWith(".ports")) rmSync(join(dir, file));
  const lines = [`listen: 127.0.0.1:${port}`];
  if (monitorPort !== undefined) lines.push(`http: 127.0.0.1:${monitorPort}`);
  if (options.auth) {
    lines.push(`authorization { users = [ { user: ${JSON.stringify(options.auth.user)}, password: ${JSON.stringify(options.auth.password)} } ] }`);
  }
  lines.push(...(options.config ?? []));
  const config = join(dir, "nats.conf");
  writeFileSync(config, options.configText ?? lines.join("\n") + "\n");
  const env = options.env ? { ...process.env, ...options.env } : process.env;
  const child = spawn("nats-server", ["-c", config, "--ports_file_dir", dir], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.once("error", (err) => {
    stderr += `\n${err.message} (is nats-server installed and on PATH?)`;
  });
  return { child, stderr: () => stderr };
}

async function readPorts(dir: string, { child, stderr }: Launched): Promise<{ nats: number; monitoring?: number; websocket?: string }> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const file = readdirSync(dir).find((name) => name.endsWith(".ports"));
    if (file) {
      try {
        const ports = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nats: string[]; monitoring?: string[]; websocket?: string[] };
        const nats = Number(new URL(ports.nats[0]!).port);
        const monitoring = ports.monitoring?.[0] ? Number(new URL(ports.monitoring[0]).port) : undefined;
        // The first of a websocket listener's addresses may be any interface; the test connects on loopback.
        const websocket = ports.websocket?.[0] ? `ws://127.0.0.1:${new URL(ports.websocket[0]).port}` : undefined;
        return { nats, ...(monitoring ? { monitoring } : {}), ...(websocket ? { websocket } : {}) };
      } catch {
        // written but not complete yet
      }
    }
    await sleep(10);
  }
  child.kill("SIGKILL");
  throw new Error(`nats-server did not start: ${stderr().trim() || "no output"}`);
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
