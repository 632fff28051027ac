// 3. executable start: the generated project's single executable (npm run build:exe) vs the same service's
// bundle run by node, each timed from process start to the first answered health request.
import { alternate, repsFor } from "./ab.js";
import { connectTo, startServer } from "./nats.js";
import { tempDir } from "./proc.js";
import { timeStartup } from "./startup.js";
import { figure, type Benchmark, type Context } from "./types.js";

export const executable: Benchmark = {
  id: 3,
  name: "executable",
  title: "single executable: start → first health reply, vs the bundle run by node",
  async run(ctx: Context) {
    const project = await ctx.artifacts.project();
    const server = await startServer();
    const nc = await connectTo(server.url, "bench-probe");
    const dataDir = tempDir("executable");
    const reps = repsFor(ctx, 7, 15);
    try {
      const { a, b } = await alternate({
        reps,
        warmup: 1,
        a: () => timeStartup(nc, server.url, dataDir, project.exe, [], undefined),
        b: () => timeStartup(nc, server.url, dataDir, process.execPath, ["--enable-source-maps", project.bundle], undefined),
        onPair: (rep, ra, rb) => ctx.log(`  rep ${rep + 1}/${reps}: executable ${ra.ms.toFixed(0)} ms, node bundle ${rb.ms.toFixed(0)} ms`),
      });
      return {
        figures: [
          figure({
            name: "start → first health reply",
            unit: "ms",
            better: "lower",
            measured: { label: "executable", values: a.map((r) => r.ms) },
            baseline: { label: "node dist/main.mjs", values: b.map((r) => r.ms) },
            target: { kind: "ratio<=", value: 1.2 },
          }),
        ],
        notes: ["executable: Node SEA with useCodeCache (its own CJS bundle); baseline: node --enable-source-maps dist/main.mjs"],
      };
    } finally {
      await nc.close();
      await server.stop();
    }
  },
};
