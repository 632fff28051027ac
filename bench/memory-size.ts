// 7. memory and size: idle RSS of the generated service after start, and its bundle's bytes, vs the
// raw-client baseline service of bench/baseline/ (same esbuild setup). RSS comes from benchmark 2's runs.
import { statSync } from "node:fs";
import { startupRuns } from "./cold-start.js";
import { figure, type Benchmark, type Context } from "./types.js";

export const memorySize: Benchmark = {
  id: 7,
  name: "memory-size",
  title: "idle RSS after start and bundle bytes, vs the raw-client baseline service",
  async run(ctx: Context) {
    const runs = await startupRuns(ctx);
    const rss = (values: Array<number | undefined>) => values.filter((v): v is number => v !== undefined);
    const bundleBytes = statSync(runs.project.bundle).size;
    const baselineBytes = statSync(runs.project.baselineBundle).size;
    const exeBytes = statSync(runs.project.exe).size;
    return {
      figures: [
        figure({
          name: "idle RSS",
          unit: "bytes",
          better: "lower",
          measured: { label: "generated", values: rss(runs.generated.map((r) => r.rssBytes)) },
          baseline: { label: "raw baseline", values: rss(runs.baseline.map((r) => r.rssBytes)) },
          // Issue #7: health from a thread of its own (about +11 MiB) is worth up to 1.3x.
          target: { kind: "ratio<=", value: 1.3 },
        }),
        figure({
          name: "bundle bytes",
          unit: "bytes",
          better: "lower",
          measured: { label: "dist/main.mjs", values: [bundleBytes] },
          baseline: { label: "baseline.mjs", values: [baselineBytes] },
          target: { kind: "ratio<=", value: 1.2 },
        }),
      ],
      notes: [
        `idle RSS read from /proc ${runs.settleMs} ms after the first health reply`,
        `bundles without their source maps; the single executable is ${(exeBytes / 1024 / 1024).toFixed(1)} MiB (a copy of the node binary plus the service)`,
      ],
    };
  },
};
