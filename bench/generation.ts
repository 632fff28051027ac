// 1. generation: `create-telestion-service x --yes --no-install --no-git`, process start → exit, vs
// `create-vite x --template vanilla-ts` (create-vite 8, a devDependency of the bench). Both bins run
// directly with node (no npx), with no TTY, into fresh empty folders.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { alternate, repsFor } from "./ab.js";
import { ROOT } from "./artifacts.js";
import { removeTempDir, run, tempDir } from "./proc.js";
import { SkipError, figure, type Benchmark, type Context } from "./types.js";

const CREATE_VITE = join(ROOT, "node_modules", "create-vite", "index.js");

export const generation: Benchmark = {
  id: 1,
  name: "generation",
  title: "create-telestion-service x --yes --no-install --no-git vs create-vite x --template vanilla-ts",
  async run(ctx: Context) {
    const cli = await ctx.artifacts.generator();
    if (!existsSync(CREATE_VITE)) throw new SkipError("create-vite is not installed (npm install in the repo root)");
    const reps = repsFor(ctx, 5, 15);
    const files: Record<string, number> = {};
    const once = async (label: string, args: string[]): Promise<number> => {
      const dir = tempDir("generation");
      try {
        const { ms } = await run(process.execPath, args, { cwd: dir, timeoutMs: 60_000 });
        const made = join(dir, "x");
        if (!existsSync(join(made, "package.json"))) throw new Error(`${label} did not create x/package.json`);
        files[label] = countFiles(made);
        return ms;
      } finally {
        removeTempDir(dir);
      }
    };
    const { a, b } = await alternate({
      reps,
      warmup: 1,
      a: () => once("generator", [cli, "x", "--yes", "--no-install", "--no-git"]),
      b: () => once("create-vite", [CREATE_VITE, "x", "--template", "vanilla-ts"]),
      onPair: (rep, ra, rb) => ctx.log(`  rep ${rep + 1}/${reps}: generator ${ra.toFixed(0)} ms, create-vite ${rb.toFixed(0)} ms`),
    });
    const figures = [
      figure({
        name: "process start → exit",
        unit: "ms",
        better: "lower",
        measured: { label: "create-telestion-service", values: a },
        baseline: { label: "create-vite", values: b },
        target: { kind: "ratio<=", value: 1.0 },
      }),
    ];
    return {
      figures,
      notes: [`files written: create-telestion-service ${files["generator"]}, create-vite ${files["create-vite"]}`],
    };
  },
};

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}
