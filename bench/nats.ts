// A nats-server for one benchmark (test-support's launcher: a free loopback port, its own folder),
// stopped by cleanup() even when the benchmark fails, plus its pid for CPU accounting.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServer } from "../test-support/nats-server.js";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { assertRunning, childPidsNamed, onCleanup, trackServer, untrackServer } from "./proc.js";

export interface BenchServer extends NatsServer {
  /** The nats-server process, found among this process's children; undefined if not found. */
  pid: number | undefined;
}

export async function startServer(): Promise<BenchServer> {
  assertRunning();
  const before = new Set(childPidsNamed("nats-server"));
  const server = await startNatsServer();
  const pid = childPidsNamed("nats-server").find((p) => !before.has(p));
  if (pid !== undefined) trackServer(pid, configDir(pid));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    if (pid !== undefined) untrackServer(pid);
  };
  onCleanup(stop);
  return { ...server, pid, stop };
}

/** The folder test-support made for the server (its -c argument's folder), from /proc/<pid>/cmdline. */
function configDir(pid: number): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const config = args[args.indexOf("-c") + 1];
    return config?.startsWith(tmpdir()) ? dirname(config) : undefined;
  } catch {
    return undefined;
  }
}

/** A plain client connection for the harness (no reconnect: a benchmark fails rather than waits). */
export function connectTo(url: string, name: string): Promise<NatsConnection> {
  return connect({ servers: url, name, reconnect: false, timeout: 5_000 });
}

/** The configuration a compliant service needs, for a child's environment or startService({ env }). */
export function serviceEnv(url: string, serviceName: string, dataDir: string, serviceId?: string): Record<string, string> {
  return {
    NATS_URL: url,
    NATS_USER: "",
    NATS_PASSWORD: "",
    SERVICE_NAME: serviceName,
    DATA_DIR: dataDir,
    ...(serviceId ? { SERVICE_ID: serviceId } : {}),
  };
}
