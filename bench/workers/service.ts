// A service under test, in a process of its own: either a telestion-runtime service (the runtime's source,
// through tsx) or the same behaviour hand-written on the raw NATS client. Driven by the harness over IPC.
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { startLogSink, startService, type Service } from "../../runtime/src/index.js";
import { categoryOf } from "../../runtime/src/log.js";
import { formatLogLine } from "../../runtime/src/log-file-format.js";
import { serveCommands, type Request } from "./protocol.js";

type Side = "runtime" | "raw";
/** count-json / count-binary: a trivial handler that reads the body and counts; reply-json: answers; idle: health only. */
type Mode = "count-json" | "count-binary" | "reply-json" | "idle" | "sink";

let service: Service | undefined;
let nc: NatsConnection | undefined;

// Counting: the harness arms a target, the handler ticks, the first and the target-th message are timed.
let count = 0;
let target = Number.POSITIVE_INFINITY;
let firstAt = 0;
let firstCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
let bytes = 0;
let done: { ms: number; cpuUs: number; count: number } | undefined;
let onDone: (() => void) | undefined;

function tick(): void {
  count++;
  if (count === 1) {
    firstAt = performance.now();
    firstCpu = process.cpuUsage();
  }
  if (count === target) {
    const cpu = process.cpuUsage(firstCpu);
    done = { ms: performance.now() - firstAt, cpuUs: cpu.user + cpu.system, count };
    onDone?.();
  }
}

const encoder = new TextEncoder();

function rawCallback(mode: Mode): (err: Error | null, msg: Msg) => void {
  switch (mode) {
    case "count-json":
      return (err, msg) => {
        if (err) return;
        msg.json();
        tick();
      };
    case "count-binary":
      return (err, msg) => {
        if (err) return;
        bytes += msg.data.byteLength;
        tick();
      };
    case "reply-json":
      return (err, msg) => {
        if (err) return;
        const request = msg.json<{ seq: string }>();
        msg.respond(encoder.encode(JSON.stringify({ ok: true, seq: request.seq })));
        tick();
      };
    default:
      throw new Error(`no raw callback for ${mode}`);
  }
}

/** The raw counterpart of startLogSink: `>` in a queue group, one write stream per category, same line format. */
function rawSink(conn: NatsConnection, queue: string, dataDir: string): void {
  const dir = join(dataDir, "logs");
  mkdirSync(dir, { recursive: true });
  const streams = new Map<string, WriteStream>();
  conn.subscribe(">", {
    queue,
    callback: (err, msg) => {
      if (err) return;
      const category = categoryOf(msg.subject);
      if (category === undefined) return;
      let stream = streams.get(category);
      if (!stream) {
        stream = createWriteStream(join(dir, `${category}.log`), { flags: "a" });
        streams.set(category, stream);
      }
      stream.write(formatLogLine(msg.data, new Date()));
    },
  });
}

serveCommands({
  async start(request: Request) {
    const side = request["side"] as Side;
    const mode = request["mode"] as Mode;
    const subject = request["subject"] as string;
    const env = request["env"] as Record<string, string>;
    if (side === "runtime") {
      service = await startService({ env, argv: [] });
      // The same trivial handlers as the raw callbacks below.
      if (mode === "count-json") {
        service.subscribe(subject, (m) => {
          m.json();
          tick();
        });
      } else if (mode === "count-binary") {
        service.subscribe(subject, (m) => {
          bytes += m.data.byteLength;
          tick();
        });
      } else if (mode === "reply-json") {
        service.reply(subject, (m) => {
          const request = m.json() as { seq: string };
          tick();
          return { ok: true, seq: request.seq };
        });
      } else if (mode === "sink") startLogSink(service as Service<unknown>);
      await service.nc.flush();
    } else {
      nc = await connect({ servers: env["NATS_URL"], name: `raw-${env["SERVICE_NAME"]}`, reconnect: false });
      if (mode === "sink") rawSink(nc, env["SERVICE_NAME"]!, env["DATA_DIR"]!);
      else if (mode !== "idle") nc.subscribe(subject, { queue: env["SERVICE_NAME"], callback: rawCallback(mode) });
      await nc.flush();
    }
    return { pid: process.pid };
  },
  /** Resets the counters; the run is complete when `n` messages were handled. */
  arm(request: Request) {
    count = 0;
    bytes = 0;
    done = undefined;
    target = request["n"] as number;
    return true;
  },
  /** Resolves when the armed count was reached (or rejects after timeoutMs with how far it got). */
  wait(request: Request) {
    const timeoutMs = request["timeoutMs"] as number;
    return new Promise((resolve, reject) => {
      if (done) return resolve(done);
      const timer = setTimeout(() => {
        onDone = undefined;
        reject(new Error(`only ${count} of ${target} messages within ${timeoutMs} ms`));
      }, timeoutMs);
      onDone = () => {
        clearTimeout(timer);
        onDone = undefined;
        resolve(done);
      };
    });
  },
  count() {
    return { count, bytes };
  },
  cpu() {
    const cpu = process.cpuUsage();
    return { cpuUs: cpu.user + cpu.system };
  },
  async stop() {
    if (service) await service.stop({ timeoutMs: 1_000 });
    if (nc) await nc.drain();
    setImmediate(() => process.exit(0));
    return true;
  },
});
