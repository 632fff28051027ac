// 6. health under load: health request latency (p50/p99) of a runtime service while 4 publishers (each a
// process of its own) flood the subject it subscribes to, vs the same service unloaded. A prober in its
// own process asks __telestion__/health every 10 ms and times the reply of that service's instance.
//
// Windows per repetition, in alternating order: unloaded; flood (each publisher as fast as the server takes
// its messages: more than the service can handle on 2 cores, so a backlog builds up); paced (the same 4
// publishers at PACED_RATE msg/s in total, heavy but sustainable). The runtime answers health from a thread
// with its own connection (runtime/src/health.ts), so the target is the seed's bound for a health reply.
import { repsFor } from "./ab.js";
import { HEALTH_REPLY_BOUND_MS } from "../runtime/src/health.js";
import { serviceEnv, startServer } from "./nats.js";
import { tempDir } from "./proc.js";
import { median, quantile } from "./stats.js";
import { figure, type Benchmark, type Context } from "./types.js";
import { Worker } from "./workers/host.js";

const PUBLISHERS = 4;
const PROBE_INTERVAL_MS = 10;
const PROBE_TIMEOUT_MS = 2_000;
const PACED_RATE = 100_000; // msg/s, all publishers together

interface Run {
  p50: number;
  p99: number;
  max: number;
  failures: number;
  sent: number;
  handled: number;
}

type Window = "unloaded" | "loaded" | "paced";

export const healthUnderLoad: Benchmark = {
  id: 6,
  name: "health-under-load",
  title: `health p50/p99 while ${PUBLISHERS} publishers flood the service's subject vs unloaded`,
  async run(ctx: Context) {
    const server = await startServer();
    const dataDir = tempDir("health-load");
    const reps = repsFor(ctx, 3, 7);
    const windowMs = ctx.quick ? 2_000 : 5_000;
    const windows: Window[] = ["loaded", "unloaded", "paced"];
    const s = { worker: Worker.start("runtime service", "service"), id: "health-load", subject: "bench.load" };
    const prober = Worker.start("health prober", "client");
    const publishers = Array.from({ length: PUBLISHERS }, (_, i) => Worker.start(`publisher ${i + 1}`, "client"));
    const env = serviceEnv(server.url, "health-load", dataDir, s.id);
    await s.worker.call({ cmd: "start", side: "runtime", mode: "count-json", subject: s.subject, env }, 20_000);
    await Promise.all([prober, ...publishers].map((w) => w.call({ cmd: "connect", url: server.url }, 15_000)));

    const once = async (window: Window): Promise<Run> => {
      const before = await s.worker.call<{ count: number }>({ cmd: "count" }, 5_000);
      const floods =
        window === "unloaded"
          ? []
          : publishers.map((p) =>
              p.call<{ sent: number }>(
                {
                  cmd: "flood",
                  subject: s.subject,
                  body: "json",
                  durationMs: windowMs,
                  maxN: 5_000_000,
                  ...(window === "paced" ? { ratePerSec: PACED_RATE / PUBLISHERS } : {}),
                },
                windowMs + 30_000,
              ),
            );
      const [probe, flooded] = await Promise.all([
        prober.call<{ latencies: number[]; failures: number }>(
          { cmd: "health", intervalMs: PROBE_INTERVAL_MS, durationMs: windowMs, timeoutMs: PROBE_TIMEOUT_MS, serviceId: s.id },
          windowMs + 30_000,
        ),
        Promise.all(floods),
      ]);
      const sent = flooded.reduce((sum, r) => sum + r.sent, 0);
      // Let the service work off what is still queued before the next window starts (bounded: 10 s).
      let handled = 0;
      for (let i = 0; i < 200; i++) {
        handled = (await s.worker.call<{ count: number }>({ cmd: "count" }, 5_000)).count - before.count;
        if (handled >= sent) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const l = probe.latencies;
      return { p50: quantile(l, 0.5), p99: quantile(l, 0.99), max: Math.max(...l), failures: probe.failures, sent, handled };
    };

    // Unmeasured warm-up: the service's health thread (here loaded from the runtime's TypeScript through tsx,
    // which takes a second or two) has taken over before the first flood.
    await once("unloaded");
    const runs: Record<Window, Run[]> = { unloaded: [], loaded: [], paced: [] };
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? windows : [...windows].reverse();
      for (const w of order) runs[w].push(await once(w));
      const show = (w: Window) => `${w} p50 ${runs[w][rep]!.p50.toFixed(2)} p99 ${runs[w][rep]!.p99.toFixed(2)} ms`;
      ctx.log(`  rep ${rep + 1}/${reps}: ${windows.map(show).join("; ")}`);
    }
    await Promise.all([s.worker, prober, ...publishers].map((w) => w.stop()));
    await server.stop();

    const perSecond = (v: number) => Math.round(v / (windowMs / 1000));
    const failures = runs.loaded.reduce((sum, r) => sum + r.failures, 0);
    const lost = [...runs.loaded, ...runs.paced].reduce((sum, r) => sum + (r.sent - r.handled), 0);
    return {
      figures: [
        figure({
          name: "health p99",
          unit: "ms",
          better: "lower",
          measured: { label: "loaded", values: runs.loaded.map((r) => r.p99) },
          baseline: { label: "unloaded", values: runs.unloaded.map((r) => r.p99) },
          target: { kind: "measured<=", value: HEALTH_REPLY_BOUND_MS },
        }),
        figure({
          name: "health p50",
          unit: "ms",
          better: "lower",
          measured: { label: "loaded", values: runs.loaded.map((r) => r.p50) },
          baseline: { label: "unloaded", values: runs.unloaded.map((r) => r.p50) },
          target: { kind: "report" },
        }),
        figure({
          name: `health p99, paced ${PACED_RATE / 1000}k msg/s`,
          unit: "ms",
          better: "lower",
          measured: { label: "paced", values: runs.paced.map((r) => r.p99) },
          baseline: { label: "unloaded", values: runs.unloaded.map((r) => r.p99) },
          target: { kind: "report" },
        }),
      ],
      notes: [
        `${PUBLISHERS} publisher processes flood for ${windowMs} ms per window (~50 B JSON, as fast as the server takes them: a flush after every 500);` +
          ` flood: median ${perSecond(median(runs.loaded.map((r) => r.sent)))} msg/s sent; paced: ${perSecond(median(runs.paced.map((r) => r.sent)))} msg/s;` +
          ` every message handled by the end of the window's drain: ${lost === 0 ? "yes" : `no (${lost} missing)`};` +
          ` health asked every ${PROBE_INTERVAL_MS} ms, ${failures} unanswered within ${PROBE_TIMEOUT_MS} ms`,
      ],
    };
  },
};
