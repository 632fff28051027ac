/**
 * Whether an instance is alive, not merely reachable: its main thread still runs (a handler stuck in
 * `while (true) {}` blocks it for good, while the health thread would go on answering) and its own NATS
 * connection is up. The main thread beats a heartbeat into a SharedArrayBuffer that the health responder
 * reads, and refreshes a small local file that the `--live` probe reads without NATS.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { configuredServiceId } from "./config.js";
import { oneLine } from "./one-line.js";

/** How long the main thread may not run before the instance is unhealthy: a 4 s CPU-bound handler is not a hang. */
export const DEFAULT_STALL_BOUND_MS = 5_000;
/** Below this, garbage collection or a second of synchronous work would count as a hang. */
const MIN_STALL_BOUND_MS = 1_000;
const BEAT_MS = 250;
/** The file is rewritten at most this often (one small write and a rename), and always well within the bound. */
const FILE_EVERY_MS = 1_000;

/** The variable that moves the alive file, e.g. to a volume both the service and its probe see. */
export const ALIVE_FILE_VARIABLE = "TELESTION_ALIVE_FILE";

export interface Liveness {
  /** The main thread ran within the bound and the main NATS connection is up. */
  alive: boolean;
  /** ms since the main thread last beat (0–250 when it runs). */
  stalledMs: number;
  /** Whether the service's own NATS connection is up (the health thread's may be, while it is not). */
  connected: boolean;
}

// Layout: the last beat (BigInt64, ms since the epoch), then connected (Int32, 1 or 0), then the bound (Int32).
const BUFFER_BYTES = BigInt64Array.BYTES_PER_ELEMENT + 2 * Int32Array.BYTES_PER_ELEMENT;
const CONNECTED = 0;
const BOUND = 1;

export class Heartbeat {
  readonly buffer: SharedArrayBuffer;
  readonly #last: BigInt64Array;
  readonly #flags: Int32Array;

  /**
   * A new heartbeat (beaten now, connected, with `boundMs`), or with `buffer` a view of another
   * thread's heartbeat. Throws a one-line error for a bound that is no whole number of ms ≥ 1000.
   */
  constructor(boundMs: number = DEFAULT_STALL_BOUND_MS, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(BUFFER_BYTES);
    this.#last = new BigInt64Array(this.buffer, 0, 1);
    this.#flags = new Int32Array(this.buffer, BigInt64Array.BYTES_PER_ELEMENT, 2);
    if (buffer) return;
    if (!Number.isInteger(boundMs) || boundMs < MIN_STALL_BOUND_MS || boundMs > 2 ** 31 - 1) {
      throw new RangeError(`stallBoundMs must be a whole number of ms from ${MIN_STALL_BOUND_MS} (default ${DEFAULT_STALL_BOUND_MS}), got ${String(boundMs)}`);
    }
    Atomics.store(this.#flags, BOUND, boundMs);
    this.connected = true;
    this.beat();
  }

  /** A view of a heartbeat another thread beats. */
  static view(buffer: SharedArrayBuffer): Heartbeat {
    return new Heartbeat(undefined, buffer);
  }

  beat(now = Date.now()): void {
    Atomics.store(this.#last, 0, BigInt(now));
  }

  set connected(up: boolean) {
    Atomics.store(this.#flags, CONNECTED, up ? 1 : 0);
  }

  get boundMs(): number {
    return Atomics.load(this.#flags, BOUND);
  }

  read(now = Date.now()): Liveness {
    // Never negative: the wall clock may step back between a beat and a read.
    const stalledMs = Math.max(0, now - Number(Atomics.load(this.#last, 0)));
    const connected = Atomics.load(this.#flags, CONNECTED) === 1;
    return { alive: connected && stalledMs <= this.boundMs, stalledMs, connected };
  }
}

/**
 * Why a health reply says its instance is not alive, for a probe's or a tool's line; undefined when it
 * does not say so (any reply, also one of a service in another language without these fields).
 */
export function notAliveReason(reply: unknown): string | undefined {
  if (typeof reply !== "object" || reply === null || (reply as Partial<Liveness>).alive !== false) return undefined;
  const liveness = reply as Partial<Liveness>;
  const reasons: string[] = [];
  // A stall shorter than the smallest bound cannot be why (the reply does not carry the bound itself).
  if (typeof liveness.stalledMs === "number" && liveness.stalledMs >= MIN_STALL_BOUND_MS) {
    reasons.push(`its main thread has not run for ${seconds(liveness.stalledMs)} (a handler that never returns?)`);
  }
  if (liveness.connected === false) reasons.push("its own NATS connection is down");
  return reasons.join(" and ") || "it says it is not alive";
}

/** `7.3 s`: ms as the probes' lines show them. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** What the alive file holds: enough for a probe to tell this instance from its siblings and a dead process. */
export interface AliveRecord {
  pid: number;
  /** SERVICE_ID, also when generated: the NATS probe waits for this instance's health reply. */
  service: string;
  name: string;
  /** When the main thread last wrote it, in ms since the epoch. */
  time: number;
  /** The stall bound: the file is fresh while younger than this. */
  boundMs: number;
}

/**
 * The alive file: TELESTION_ALIVE_FILE, or `<tmp dir>/telestion-<SERVICE_NAME>.alive` (with
 * `.<SERVICE_ID>` when one is configured, so that instances with ids apart share no file). Each
 * container has its own /tmp; instances without SERVICE_ID that share one need TELESTION_ALIVE_FILE apart.
 */
export function aliveFilePath(config: Record<string, unknown>, serviceName: string): string {
  const configured = config[ALIVE_FILE_VARIABLE];
  if (typeof configured === "string" && configured !== "") return resolve(configured);
  const configuredId = configuredServiceId(config);
  const id = configuredId === undefined ? "" : `.${configuredId}`;
  // Any name becomes one safe file name ("/" and ".." included).
  return join(tmpdir(), `telestion-${encodeURIComponent(serviceName + id)}.alive`);
}

/** The record at `path`; undefined when there is none. Throws a one-line error when it is not one. */
export function readAliveFile(path: string): AliveRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read the alive file ${path}: ${oneLine(err)}`);
  }
  let record: Partial<AliveRecord>;
  try {
    record = JSON.parse(text) as Partial<AliveRecord>;
  } catch {
    throw new Error(`the alive file ${path} is not JSON: remove it, or set ${ALIVE_FILE_VARIABLE} to the file this service writes`);
  }
  const { pid, service, name, time, boundMs } = record ?? {};
  if (typeof pid !== "number" || typeof service !== "string" || typeof name !== "string" || typeof time !== "number" || typeof boundMs !== "number") {
    throw new Error(`the alive file ${path} lacks pid, service, name, time or boundMs: remove it, or set ${ALIVE_FILE_VARIABLE} to the file this service writes`);
  }
  return { pid, service, name, time, boundMs };
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface LivenessOptions {
  heartbeat: Heartbeat;
  /** The service's own connection, whose state `connected` follows; none with `{ nats: false }`. */
  nc?: NatsConnection;
  file: string;
  serviceId: string;
  serviceName: string;
  /** Where the one line about an unwritable alive file goes (stderr by default). */
  notify?: (line: string) => void;
}

/**
 * Beats the heartbeat every 250 ms and rewrites the alive file about once a second, from an unref'd
 * timer on the main thread (so the beats stop exactly when the main thread does), and follows the
 * connection's state. `stop()` ends both and removes the file if it is still this instance's.
 */
export function startLiveness(options: LivenessOptions): { stop(): void } {
  const { heartbeat, nc, file, serviceId, serviceName, notify = (line) => console.error(line) } = options;
  const temp = `${file}.${process.pid}.tmp`;
  let writtenAt = Number.NEGATIVE_INFINITY;
  let failing = false;
  const write = (now: number) => {
    const record: AliveRecord = { pid: process.pid, service: serviceId, name: serviceName, time: now, boundMs: heartbeat.boundMs };
    try {
      // Written aside and renamed: a probe never reads half a file.
      writeFileSync(temp, JSON.stringify(record) + "\n");
      renameSync(temp, file);
      writtenAt = now;
      failing = false;
    } catch (err) {
      // Once per failing spell: the --live probe fails meanwhile, and this line says why.
      if (!failing) notify(`[telestion] cannot write the alive file ${file} (${oneLine(err)}): the --live probe fails until it can; set ${ALIVE_FILE_VARIABLE} to a writable path`);
      failing = true;
    }
  };
  const tick = () => {
    const now = Date.now();
    heartbeat.beat(now);
    if (now - writtenAt >= Math.min(FILE_EVERY_MS, heartbeat.boundMs / 4)) write(now);
  };
  tick();
  const timer = setInterval(tick, BEAT_MS).unref();

  const statuses = nc?.status();
  if (statuses) {
    void (async () => {
      for await (const status of statuses) {
        if (status.type === "disconnect" || status.type === "close") heartbeat.connected = false;
        else if (status.type === "reconnect") heartbeat.connected = true;
      }
    })();
  }

  return {
    stop() {
      // The status loop ends with the connection, which stop() drains next.
      clearInterval(timer);
      try {
        const record = readAliveFile(file);
        if (record?.pid === process.pid && record.service === serviceId) unlinkSync(file);
      } catch {
        // Not ours to remove, or already gone.
      }
    },
  };
}
