// 8. log sink (report; no message may be lost):
//   a) lines/s the standard sink (the runtime's built telestion-log-sink executable) writes for a flood of
//      log messages, vs the same lines written by a plain write-stream loop (no NATS), and vs a raw-client
//      sink (nc.subscribe(">") + the same line format). The sink is frozen (SIGSTOP) while n messages are
//      queued in the server, then resumed: rate = n / (resume → file complete). Every line is checked.
//   b) CPU the idle sink spends on unrelated traffic: a paced flood on an unrelated subject, with a fresh
//      sink running vs no sink; the sink's CPU vs that of a runtime service without the sink, and the
//      nats-server's CPU with and without the sink (the sink subscribes to `*` and `__telestion__.log.>`,
//      so the server delivers it no message on the unrelated multi-token subject).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { parseLogLine } from "../runtime/src/log-file-format.js";
import { repsFor } from "./ab.js";
import { serviceEnv, startServer, type BenchServer } from "./nats.js";
import { cleanEnv, pollUntil, processCpuMs, spawnTracked, stopChild, tempDir } from "./proc.js";
import { figure, type Benchmark, type Context, type Figure } from "./types.js";
import { Worker } from "./workers/host.js";
import { JSON_BODY_BYTES } from "./workers/protocol.js";

const LINE_BYTES = 24 + 1 + JSON_BODY_BYTES + 1; // ISO timestamp, space, body, newline
const UNRELATED_RATE = 50_000; // msg/s

/** Starts the sink executable and resolves once it says it is writing (it subscribes before that). */
async function startSink(bin: string, url: string, dataDir: string): Promise<ChildProcess> {
  const child = spawnTracked(process.execPath, [bin], {
    env: cleanEnv(serviceEnv(url, "log-sink", dataDir)),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`log sink did not start within 15 s: ${stderr}`)), 15_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("writing to")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`log sink exited (${code}): ${stderr}`));
    });
  });
  return child;
}

/** Lines missing from `file` (n expected, sequence numbers 0..n-1 once each); -1 if unreadable. */
function lostLines(file: string, n: number): number {
  if (!existsSync(file)) return n;
  const seen = new Uint8Array(n);
  const decoder = new TextDecoder();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const { body } = parseLogLine(line);
    const seq = Number((JSON.parse(decoder.decode(body)) as { seq: string }).seq);
    if (seq >= 0 && seq < n) seen[seq] = 1;
  }
  return n - seen.reduce((sum, v) => sum + v, 0);
}

interface FloodRun {
  rate: number;
  lost: number;
}

export const logSink: Benchmark = {
  id: 8,
  name: "log-sink",
  title: "log sink lines/s vs a write-stream loop and a raw-client sink; idle sink CPU on unrelated traffic",
  async run(ctx: Context) {
    const runtime = await ctx.artifacts.runtime();
    const server = await startServer();
    const reps = repsFor(ctx, 3, 7);
    const n = ctx.quick ? 50_000 : 150_000;
    const dirs = { sink: tempDir("sink"), raw: tempDir("rawsink"), fs: tempDir("fsloop"), idle: tempDir("idle") };
    const client = Worker.start("log publisher", "client");
    const raw = Worker.start("raw sink", "service");
    await client.call({ cmd: "connect", url: server.url }, 15_000);
    await raw.call({ cmd: "start", side: "raw", mode: "sink", subject: ">", env: serviceEnv(server.url, "raw-sink", dirs.raw) }, 20_000);
    const sink = await startSink(runtime.logSinkBin, server.url, dirs.sink);

    /** Freeze the sink, queue n log messages for it, resume, wait for the complete file. */
    const flood = async (which: "sink" | "raw", rep: number): Promise<FloodRun> => {
      const category = `bench-${which}-${rep < 0 ? "warmup" : rep}`;
      const file = join(dirs[which], "logs", `${category}.log`);
      const pause = () => (which === "sink" ? sink.kill("SIGSTOP") : raw.pause());
      const resume = () => (which === "sink" ? sink.kill("SIGCONT") : raw.resume());
      pause();
      try {
        await client.call({ cmd: "publish", subject: `__telestion__/log/${category}`, n, body: "json" }, 60_000);
      } finally {
        resume();
      }
      const t0 = performance.now();
      const expected = n * LINE_BYTES;
      const ms = await pollUntil(() => (existsSync(file) && statSync(file).size >= expected ? performance.now() - t0 : undefined), 60_000, 2);
      return { rate: ms === undefined ? 0 : n / (ms / 1000), lost: lostLines(file, n) };
    };
    const fsloop = async (rep: number): Promise<FloodRun> => {
      const file = join(dirs.fs, `bench-${rep}.log`);
      const { ms } = await client.call<{ ms: number }>({ cmd: "fsloop", file, n }, 60_000);
      return { rate: n / (ms / 1000), lost: lostLines(file, n) };
    };

    const warm = [await flood("sink", -1), await flood("raw", -1), await fsloop(-1)];
    ctx.log(`  warm-up: ${warm.map((r) => `${fmt(r.rate)}/s, ${r.lost} lost`).join("; ")}`);
    const runs = { sink: [] as FloodRun[], raw: [] as FloodRun[], fs: [] as FloodRun[] };
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? (["sink", "raw", "fs"] as const) : (["fs", "raw", "sink"] as const);
      for (const which of order) runs[which].push(which === "fs" ? await fsloop(rep) : await flood(which, rep));
      ctx.log(`  lines rep ${rep + 1}/${reps}: sink ${fmt(runs.sink[rep]!.rate)}/s (${runs.sink[rep]!.lost} lost), raw sink ${fmt(runs.raw[rep]!.rate)}/s, write-stream loop ${fmt(runs.fs[rep]!.rate)}/s`);
    }
    await stopChild(sink);
    await raw.stop();

    const idle = await idleCpu(ctx, server, runtime.logSinkBin, dirs.idle, client, reps);
    await client.stop();
    await server.stop();

    const lost = runs.sink.reduce((sum, r) => sum + r.lost, 0);
    const figures: Figure[] = [
      figure({
        name: "lines/s written",
        unit: "lines/s",
        better: "higher",
        measured: { label: "log sink", values: runs.sink.map((r) => r.rate) },
        baseline: { label: "write-stream loop", values: runs.fs.map((r) => r.rate) },
        target: { kind: "report" },
      }),
      figure({
        name: "lines/s written",
        unit: "lines/s",
        better: "higher",
        measured: { label: "log sink", values: runs.sink.map((r) => r.rate) },
        baseline: { label: "raw-client sink", values: runs.raw.map((r) => r.rate) },
        target: { kind: "report" },
      }),
      figure({
        name: "lines lost",
        unit: "lines",
        better: "lower",
        measured: { label: "log sink", values: runs.sink.map((r) => r.lost) },
        baseline: { label: "raw-client sink", values: runs.raw.map((r) => r.lost) },
        target: { kind: "check", ok: lost === 0, text: "0 lost" },
      }),
      ...idle.figures,
    ];
    return {
      figures,
      notes: [
        `${n} log messages (~${JSON_BODY_BYTES} B JSON) per repetition, queued while the sink is frozen; ${lost} of ${n * runs.sink.length} lines lost in the sink's files`,
        idle.note,
      ],
    };
  },
};

/** b) CPU spent on an unrelated paced flood, with a fresh sink vs without one. */
async function idleCpu(
  ctx: Context,
  server: BenchServer,
  sinkBin: string,
  dataDir: string,
  client: Worker,
  reps: number,
): Promise<{ figures: Figure[]; note: string }> {
  const windowMs = ctx.quick ? 1_500 : 4_000;
  const svc = Worker.start("runtime service without sink", "service");
  await svc.call({ cmd: "start", side: "runtime", mode: "idle", subject: "", env: serviceEnv(server.url, "no-sink", dataDir) }, 20_000);
  const withSink: Array<{ proc: number; server: number }> = [];
  const without: Array<{ proc: number; server: number }> = [];
  const serverCpu = () => (server.pid === undefined ? Number.NaN : (processCpuMs(server.pid) ?? Number.NaN));
  let sent = 0;
  const window = async (sinkOn: boolean) => {
    const sink = sinkOn ? await startSink(sinkBin, server.url, dataDir) : undefined;
    const target = sink ? sink.pid! : svc.pid;
    const proc0 = processCpuMs(target) ?? Number.NaN;
    const server0 = serverCpu();
    const r = await client.call<{ sent: number }>(
      { cmd: "flood", subject: "telemetry.sensor.reading", body: "json", durationMs: windowMs, maxN: UNRELATED_RATE * (windowMs / 1000), ratePerSec: UNRELATED_RATE },
      windowMs + 30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last messages reach the sink
    const per100k = 100_000 / r.sent;
    const sample = { proc: ((processCpuMs(target) ?? Number.NaN) - proc0) * per100k, server: (serverCpu() - server0) * per100k };
    sent = r.sent;
    if (sink) await stopChild(sink);
    return sample;
  };
  for (let rep = 0; rep < reps; rep++) {
    if (rep % 2 === 0) {
      withSink.push(await window(true));
      without.push(await window(false));
    } else {
      without.push(await window(false));
      withSink.push(await window(true));
    }
    ctx.log(`  idle rep ${rep + 1}/${reps}: sink ${withSink[rep]!.proc.toFixed(0)} ms CPU per 100k unrelated msgs (service without sink ${without[rep]!.proc.toFixed(0)}), nats-server ${withSink[rep]!.server.toFixed(0)} vs ${without[rep]!.server.toFixed(0)}`);
  }
  await svc.stop();
  return {
    figures: [
      figure({
        name: "process CPU per 100k unrelated msgs",
        unit: "ms",
        better: "lower",
        measured: { label: "log sink", values: withSink.map((s) => s.proc) },
        baseline: { label: "service without sink", values: without.map((s) => s.proc) },
        target: { kind: "report" },
      }),
      figure({
        name: "nats-server CPU per 100k unrelated msgs",
        unit: "ms",
        better: "lower",
        measured: { label: "with sink", values: withSink.map((s) => s.server) },
        baseline: { label: "no sink", values: without.map((s) => s.server) },
        target: { kind: "report" },
      }),
    ],
    note: `unrelated flood: ${sent} msgs on telemetry.sensor.reading at ${UNRELATED_RATE} msg/s per window; CPU from /proc/<pid>/stat (10 ms ticks)`,
  };
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
