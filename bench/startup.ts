// Starting a service process and timing it until it answers its first health request; shared by
// benchmarks 2 (cold start), 3 (executable) and 7 (idle memory).
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { serviceEnv } from "./nats.js";
import { cleanEnv, processRssBytes, spawnTracked, stopChild } from "./proc.js";

export interface Startup {
  /** Process start (spawn) → first health reply from this instance, in ms. */
  ms: number;
  /** VmRSS after it answered and then idled for settleMs. */
  rssBytes: number | undefined;
}

const LIMIT_MS = 15_000;

/**
 * Spawns `command args`, asks __telestion__/health (no-responders answers come back at once) every ms
 * or so until this instance (its unique SERVICE_ID) answers, optionally measures idle RSS, then stops it.
 */
export async function timeStartup(
  nc: NatsConnection,
  url: string,
  dataDir: string,
  command: string,
  args: string[],
  settleMs: number | undefined,
): Promise<Startup> {
  const id = `bench-${randomBytes(4).toString("hex")}`;
  const env = cleanEnv(serviceEnv(url, "bench-svc", dataDir, id));
  const started = performance.now();
  const child = spawnTracked(command, args, { env, cwd: dataDir, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    let ms: number | undefined;
    while (ms === undefined) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before answering health: ${stderr.trim().slice(-400)}`);
      }
      if (performance.now() - started > LIMIT_MS) throw new Error(`${command} did not answer health within ${LIMIT_MS} ms: ${stderr.trim().slice(-400)}`);
      try {
        const reply = await nc.request("__telestion__/health", undefined, { timeout: 200 });
        if ((reply.json() as { service?: string }).service === id) ms = performance.now() - started;
      } catch {
        await sleep(1);
      }
    }
    let rssBytes: number | undefined;
    if (settleMs !== undefined) {
      await sleep(settleMs);
      rssBytes = processRssBytes(child.pid!);
    }
    return { ms, rssBytes };
  } finally {
    await stopChild(child, 3_000);
  }
}
