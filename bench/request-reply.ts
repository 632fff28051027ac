// 5. request/reply: requests/s answered by service.reply vs a raw nc.subscribe + msg.respond, with 16
// concurrent requesters (one client process, each requester sends its next request once answered).
// Both responders parse the JSON request and answer a small JSON object. On 2 cores the requesters and
// the server share the CPU with the responder, so the req/s ratio is diluted; the responder's own CPU
// time per request is the undiluted view.
import { alternate, repsFor } from "./ab.js";
import { startServer } from "./nats.js";
import { tempDir } from "./proc.js";
import { figure, type Benchmark, type Context } from "./types.js";
import { Worker } from "./workers/host.js";

interface Run {
  rate: number;
  cpuUsPerReq: number;
  failed: number;
}

const CONCURRENCY = 16;

/** Subjects of equal length for both sides: the subject's length is part of every message's parse cost. */
function subjectOf(side: string): string {
  return side === "runtime" ? "bench.rr.svc" : "bench.rr.raw";
}

export const requestReply: Benchmark = {
  id: 5,
  name: "request-reply",
  title: `req/s through service.reply, ${CONCURRENCY} concurrent requesters, vs raw nc.subscribe + msg.respond`,
  async run(ctx: Context) {
    const server = await startServer();
    const dataDir = tempDir("request-reply");
    const reps = repsFor(ctx, 5, 9);
    const n = ctx.quick ? 10_000 : 50_000;
    const client = Worker.start("requesters", "client");
    const sides = { runtime: Worker.start("runtime responder", "service"), raw: Worker.start("raw responder", "service") };
    await client.call({ cmd: "connect", url: server.url }, 15_000);
    for (const [side, worker] of Object.entries(sides)) {
      const env = { NATS_URL: server.url, NATS_USER: "", NATS_PASSWORD: "", SERVICE_NAME: `rr-${side}`, DATA_DIR: dataDir };
      await worker.call({ cmd: "start", side, mode: "reply-json", subject: subjectOf(side), env }, 20_000);
    }
    const once = async (side: "runtime" | "raw", count: number): Promise<Run> => {
      const worker = sides[side];
      const before = await worker.call<{ cpuUs: number }>({ cmd: "cpu" }, 5_000);
      const r = await client.call<{ ms: number; ok: number; failed: number }>(
        { cmd: "requests", subject: subjectOf(side), n: count, concurrency: CONCURRENCY, timeoutMs: 5_000 },
        120_000,
      );
      const after = await worker.call<{ cpuUs: number }>({ cmd: "cpu" }, 5_000);
      return { rate: r.ok / (r.ms / 1000), cpuUsPerReq: (after.cpuUs - before.cpuUs) / count, failed: r.failed };
    };
    const { a, b } = await alternate({
      reps,
      warmup: 1, // one short unmeasured run per side (rep -1)
      a: (rep) => once("runtime", rep < 0 ? n / 5 : n),
      b: (rep) => once("raw", rep < 0 ? n / 5 : n),
      onPair: (rep, ra, rb) => ctx.log(`  rep ${rep + 1}/${reps}: runtime ${Math.round(ra.rate)} req/s, raw ${Math.round(rb.rate)} req/s`),
    });
    await client.stop();
    await Promise.all(Object.values(sides).map((w) => w.stop()));
    await server.stop();
    const failed = [...a, ...b].reduce((sum, r) => sum + r.failed, 0);
    return {
      figures: [
        figure({
          name: "req/s",
          unit: "req/s",
          better: "higher",
          measured: { label: "service.reply", values: a.map((r) => r.rate) },
          baseline: { label: "raw msg.respond", values: b.map((r) => r.rate) },
          target: { kind: "ratio>=", value: 0.95 },
        }),
        figure({
          name: "responder CPU per request",
          unit: "µs",
          better: "lower",
          measured: { label: "service.reply", values: a.map((r) => r.cpuUsPerReq) },
          baseline: { label: "raw msg.respond", values: b.map((r) => r.cpuUsPerReq) },
          target: { kind: "report" },
        }),
      ],
      notes: [`${n} requests per repetition, ${CONCURRENCY} concurrent requesters in one client process; ${failed} failed or timed out`],
    };
  },
};
