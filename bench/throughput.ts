// 4. throughput: messages/s through service.subscribe with a trivial handler vs a raw nc.subscribe callback.
//
// Each consumer runs in a process of its own. A repetition freezes the consumer (SIGSTOP), lets the
// publisher put n messages into the server (which buffers them for the consumer), resumes it and times
// the consumer from its first to its n-th message. So the consumer runs flat out and alone: on a 2-core
// machine a live publisher would compete with it for CPU and cap both sides at the publisher's rate.
import { alternate, repsFor } from "./ab.js";
import { startServer } from "./nats.js";
import { tempDir } from "./proc.js";
import { figure, type Benchmark, type Context, type Figure } from "./types.js";
import { Worker } from "./workers/host.js";
import type { BodyKind } from "./workers/protocol.js";

interface Run {
  rate: number;
  cpuUsPerMsg: number;
}

export const throughput: Benchmark = {
  id: 4,
  name: "throughput",
  title: "msg/s through service.subscribe (trivial handler) vs raw nc.subscribe callback",
  async run(ctx: Context) {
    const server = await startServer();
    const dataDir = tempDir("throughput");
    // n is bounded by the server's 64 MiB buffer for a stopped client, and a single drain of it takes only
    // 50–150 ms: a repetition is several such rounds back to back, so that a scheduler hiccup on this
    // shared machine is a small part of each figure.
    const counts: Record<BodyKind, number> = { json: 100_000, binary: 30_000 };
    const rounds: Record<BodyKind, number> = ctx.quick ? { json: 2, binary: 3 } : { json: 3, binary: 6 };
    const reps = repsFor(ctx, 5, 15);
    const client = Worker.start("publisher", "client");
    await client.call({ cmd: "connect", url: server.url }, 15_000);
    const figures: Figure[] = [];
    for (const kind of ["json", "binary"] as const) {
      const n = counts[kind];
      const mode = kind === "json" ? "count-json" : "count-binary";
      const sides = { runtime: Worker.start(`runtime consumer (${kind})`, "service"), raw: Worker.start(`raw consumer (${kind})`, "service") };
      for (const [side, worker] of Object.entries(sides)) {
        const env = { NATS_URL: server.url, NATS_USER: "", NATS_PASSWORD: "", SERVICE_NAME: `tp-${side}`, DATA_DIR: dataDir };
        await worker.call({ cmd: "start", side, mode, subject: subjectOf(side, kind), env }, 20_000);
      }
      const once = async (side: "runtime" | "raw"): Promise<Run> => {
        const worker = sides[side];
        let ms = 0;
        let cpuUs = 0;
        for (let round = 0; round < rounds[kind]; round++) {
          await worker.call({ cmd: "arm", n }, 5_000);
          worker.pause();
          try {
            await client.call({ cmd: "publish", subject: subjectOf(side, kind), n, body: kind }, 60_000);
          } finally {
            worker.resume();
          }
          const done = await worker.call<{ ms: number; cpuUs: number }>({ cmd: "wait", timeoutMs: 60_000 }, 65_000);
          ms += done.ms;
          cpuUs += done.cpuUs;
        }
        return { rate: (rounds[kind] * (n - 1)) / (ms / 1000), cpuUsPerMsg: cpuUs / (rounds[kind] * n) };
      };
      const { a, b } = await alternate({
        reps,
        warmup: 1,
        a: () => once("runtime"),
        b: () => once("raw"),
        onPair: (rep, ra, rb) => ctx.log(`  ${kind} rep ${rep + 1}/${reps}: runtime ${fmt(ra.rate)} msg/s, raw ${fmt(rb.rate)} msg/s`),
      });
      const label = kind === "json" ? "JSON body (~50 B)" : "1 KiB binary body";
      figures.push(
        figure({
          name: `${label}: msg/s`,
          unit: "msg/s",
          better: "higher",
          measured: { label: "service.subscribe", values: a.map((r) => r.rate) },
          baseline: { label: "raw nc.subscribe", values: b.map((r) => r.rate) },
          target: { kind: "ratio>=", value: 0.95 },
        }),
        figure({
          name: `${label}: consumer CPU per msg`,
          unit: "µs",
          better: "lower",
          measured: { label: "service.subscribe", values: a.map((r) => r.cpuUsPerMsg) },
          baseline: { label: "raw nc.subscribe", values: b.map((r) => r.cpuUsPerMsg) },
          target: { kind: "report" },
        }),
      );
      await Promise.all(Object.values(sides).map((w) => w.stop()));
    }
    await client.stop();
    await server.stop();
    return {
      figures,
      notes: [
        `a repetition: ${rounds.json} rounds of ${counts.json} JSON / ${rounds.binary} rounds of ${counts.binary} binary messages, each queued in the server while the consumer is stopped; rate = messages / the consumer's time from first to last message of each round, added up`,
        "JSON handler: message.json() vs msg.json(); binary handler: reads the byte length",
      ],
    };
  },
};

/** Subjects of equal length for both sides: the subject's length is part of every message's parse cost. */
function subjectOf(side: string, kind: BodyKind): string {
  return `bench.tp.${side === "runtime" ? "svc" : "raw"}.${kind}`;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
