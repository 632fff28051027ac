// 2. cold start: the generated service's bundle (node --enable-source-maps dist/main.mjs, as its Dockerfile
// runs it), process start → first answered health request, vs the hand-written raw-client service of
// bench/baseline/ bundled by the same esbuild setup and run the same way. The same runs give benchmark 7
// its idle RSS.
import { alternate, repsFor } from "./ab.js";
import type { Project } from "./artifacts.js";
import { connectTo, startServer } from "./nats.js";
import { tempDir } from "./proc.js";
import { timeStartup, type Startup } from "./startup.js";
import { figure, type Benchmark, type Context } from "./types.js";

export interface StartupRuns {
  project: Project;
  generated: Startup[];
  baseline: Startup[];
  settleMs: number;
}

let shared: Promise<StartupRuns> | undefined;

/** The alternating start-up runs of the generated service and the baseline; measured once per bench run. */
export function startupRuns(ctx: Context): Promise<StartupRuns> {
  shared ??= (async () => {
    const project = await ctx.artifacts.project();
    const server = await startServer();
    const nc = await connectTo(server.url, "bench-probe");
    const dataDir = tempDir("cold-start");
    const reps = repsFor(ctx, 7, 15);
    const settleMs = ctx.quick ? 300 : 1_000;
    try {
      const run = (bundle: string) => timeStartup(nc, server.url, dataDir, process.execPath, ["--enable-source-maps", bundle], settleMs);
      const { a, b } = await alternate({
        reps,
        warmup: 1,
        a: () => run(project.bundle),
        b: () => run(project.baselineBundle),
        onPair: (rep, ra, rb) => ctx.log(`  rep ${rep + 1}/${reps}: generated ${ra.ms.toFixed(0)} ms, baseline ${rb.ms.toFixed(0)} ms`),
      });
      return { project, generated: a, baseline: b, settleMs };
    } finally {
      await nc.close();
      await server.stop();
    }
  })();
  return shared;
}

export const coldStart: Benchmark = {
  id: 2,
  name: "cold-start",
  title: "generated service bundle: process start → first health reply, vs raw-client baseline (same bundling)",
  async run(ctx: Context) {
    const runs = await startupRuns(ctx);
    return {
      figures: [
        figure({
          name: "start → first health reply",
          unit: "ms",
          better: "lower",
          measured: { label: "generated", values: runs.generated.map((r) => r.ms) },
          baseline: { label: "raw baseline", values: runs.baseline.map((r) => r.ms) },
          target: { kind: "ratio<=", value: 1.1 },
        }),
      ],
      notes: ["both run as `node --enable-source-maps dist/<bundle>.mjs` (the generated Dockerfile's ENTRYPOINT); health asked every ~1 ms"],
    };
  },
};
