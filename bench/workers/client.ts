// Load generators in a process of their own (so they do not share the harness's event loop):
// publishing, flooding, concurrent requesters, a health prober, and a plain write-stream loop.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, createInbox, type NatsConnection } from "@nats-io/transport-node";
import { formatLogLine } from "../../runtime/src/log-file-format.js";
import { BINARY_BODY, jsonBody, serveCommands, type BodyKind, type Request } from "./protocol.js";

const encoder = new TextEncoder();
let nc: NatsConnection | undefined;

function conn(): NatsConnection {
  if (!nc) throw new Error("not connected");
  return nc;
}

function body(kind: BodyKind, seq: number): Uint8Array {
  return kind === "binary" ? BINARY_BODY : encoder.encode(jsonBody(seq));
}

serveCommands({
  async connect(request: Request) {
    nc = await connect({ servers: request["url"] as string, name: "bench-client", reconnect: false });
    return true;
  },

  /** Publishes n messages as fast as the server takes them, then waits until the server has them all. */
  async publish(request: Request) {
    const subject = request["subject"] as string;
    const n = request["n"] as number;
    const kind = request["body"] as BodyKind;
    const seqStart = (request["seqStart"] as number | undefined) ?? 0;
    const c = conn();
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      c.publish(subject, body(kind, seqStart + i));
      if (i % 2_000 === 1_999) await c.flush();
    }
    await c.flush();
    return { ms: performance.now() - started };
  },

  /**
   * Publishes for durationMs (at most maxN messages): as fast as the server takes them (a flush
   * after each batch), or paced to ratePerSec when given.
   */
  async flood(request: Request) {
    const subject = request["subject"] as string;
    const durationMs = request["durationMs"] as number;
    const maxN = request["maxN"] as number;
    const rate = request["ratePerSec"] as number | undefined;
    const kind = request["body"] as BodyKind;
    const c = conn();
    const started = performance.now();
    let sent = 0;
    for (;;) {
      const elapsed = performance.now() - started;
      if (elapsed >= durationMs || sent >= maxN) break;
      const due = rate === undefined ? sent + 500 : Math.min(maxN, Math.floor((rate * elapsed) / 1000));
      while (sent < due && sent < maxN) c.publish(subject, body(kind, sent++));
      await c.flush();
      if (rate !== undefined) await sleep(5);
    }
    return { sent, ms: performance.now() - started };
  },

  /** `concurrency` requesters, each sending its next request when the last was answered; n in total. */
  async requests(request: Request) {
    const subject = request["subject"] as string;
    const n = request["n"] as number;
    const concurrency = request["concurrency"] as number;
    const timeoutMs = request["timeoutMs"] as number;
    const c = conn();
    let issued = 0;
    let ok = 0;
    let failed = 0;
    const started = performance.now();
    const loop = async () => {
      while (issued < n) {
        const seq = issued++;
        try {
          await c.request(subject, encoder.encode(jsonBody(seq)), { timeout: timeoutMs });
          ok++;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    return { ms: performance.now() - started, ok, failed };
  },

  /**
   * Asks __telestion__/health every intervalMs for durationMs and times the reply of instance `serviceId`
   * (every service on the bus answers; the others' replies are ignored). No reply within timeoutMs counts
   * as timeoutMs.
   */
  async health(request: Request) {
    const intervalMs = request["intervalMs"] as number;
    const durationMs = request["durationMs"] as number;
    const timeoutMs = request["timeoutMs"] as number;
    const serviceId = request["serviceId"] as string;
    const c = conn();
    const inbox = createInbox();
    let waiting: ((ok: boolean) => void) | undefined;
    const sub = c.subscribe(inbox, {
      callback: (err, msg) => {
        if (err || !waiting) return;
        if ((msg.json() as { service?: string }).service === serviceId) waiting(true);
      },
    });
    await c.flush();
    const latencies: number[] = [];
    let failures = 0;
    const started = performance.now();
    while (performance.now() - started < durationMs) {
      const t0 = performance.now();
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiting = (ok) => {
          clearTimeout(timer);
          resolve(ok);
        };
        c.publish("__telestion__/health", undefined, { reply: inbox });
      });
      waiting = undefined;
      if (answered) latencies.push(performance.now() - t0);
      else {
        failures++;
        latencies.push(timeoutMs);
      }
      await sleep(intervalMs);
    }
    sub.unsubscribe();
    return { latencies, failures };
  },

  /** The log sink's baseline: the same n lines written by a plain write-stream loop (with backpressure). */
  async fsloop(request: Request) {
    const file = request["file"] as string;
    const n = request["n"] as number;
    const started = performance.now();
    const stream = createWriteStream(file, { flags: "a" });
    for (let i = 0; i < n; i++) {
      if (!stream.write(formatLogLine(encoder.encode(jsonBody(i)), new Date()))) await once(stream, "drain");
    }
    stream.end();
    await once(stream, "finish");
    return { ms: performance.now() - started };
  },

  async stop() {
    if (nc) await nc.drain();
    setImmediate(() => process.exit(0));
    return true;
  },
});
