// 9. first run: `create-telestion-service x --yes --no-git` (which installs with npm) vs `create-vite y
// --template react-ts` followed by `npm install`, process start → installed. Both sides share one npm
// cache folder that an unmeasured run of each fills first, and npm prefers it to the network
// (npm_config_prefer_offline), so the figure is the install's own work, not the registry's speed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { alternate, repsFor } from "./ab.js";
import { ROOT } from "./artifacts.js";
import { cleanEnv, removeTempDir, run, tempDir } from "./proc.js";
import { SkipError, figure, type Benchmark, type Context } from "./types.js";

const CREATE_VITE = join(ROOT, "node_modules", "create-vite", "index.js");
const TIMEOUT_MS = 300_000;

interface Sample {
  seconds: number;
  packages: number;
  bytes: number;
}

export const firstRun: Benchmark = {
  id: 9,
  name: "first-run",
  title: "create-telestion-service x --yes --no-git (npm install included) vs create-vite y --template react-ts + npm install, one warm npm cache",
  async run(ctx: Context) {
    if (!existsSync(CREATE_VITE)) throw new SkipError("create-vite is not installed (npm install in the repo root)");
    const [cli, runtime] = await Promise.all([ctx.artifacts.generator(), ctx.artifacts.runtime()]);
    const reps = repsFor(ctx, 3, 5);
    const cache = tempDir("first-run-npm-cache");
    const env = cleanEnv({
      npm_config_cache: cache,
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
      npm_config_loglevel: "error",
    });

    /** Runs `steps` in a fresh folder; the time covers all of them, the figures the project they leave. */
    const once = async (label: string, project: string, steps: Array<[string, string[], string]>, rep: number): Promise<Sample> => {
      const dir = tempDir("first-run");
      try {
        const started = performance.now();
        for (const [command, args, cwd] of steps) await run(command, args, { cwd: join(dir, cwd), env, timeoutMs: TIMEOUT_MS });
        const seconds = (performance.now() - started) / 1000;
        const sample = { seconds, ...installed(join(dir, project)), bytes: await diskUsage(join(dir, project, "node_modules")) };
        if (rep < 0) ctx.log(`  warm-up ${label}: ${seconds.toFixed(1)} s, ${sample.packages} packages`);
        return sample;
      } finally {
        removeTempDir(dir);
      }
    };
    const telestion = (rep: number) =>
      once("create-telestion-service", "x", [[process.execPath, [cli, "x", "--yes", "--no-git", "--runtime", runtime.tarball], "."]], rep);
    const vite = (rep: number) =>
      once("create-vite + npm install", "y", [
        [process.execPath, [CREATE_VITE, "y", "--template", "react-ts"], "."],
        ["npm", ["install"], "y"],
      ], rep);

    const { a, b } = await alternate({
      reps,
      warmup: 1,
      a: telestion,
      b: vite,
      onPair: (rep, ra, rb) => ctx.log(`  rep ${rep + 1}/${reps}: create-telestion-service ${ra.seconds.toFixed(1)} s, create-vite + install ${rb.seconds.toFixed(1)} s`),
    });
    const sides = (pick: (s: Sample) => number) => ({
      measured: { label: "create-telestion-service", values: a.map(pick) },
      baseline: { label: "create-vite react-ts", values: b.map(pick) },
    });
    const time = figure({ name: "create + install", unit: "s", better: "lower", ...sides((s) => s.seconds), target: { kind: "ratio<=", value: 1.2 } });
    return {
      figures: [
        time,
        figure({ name: "packages installed", unit: "packages", better: "lower", ...sides((s) => s.packages), target: { kind: "report" } }),
        figure({ name: "node_modules on disk", unit: "bytes", better: "lower", ...sides((s) => s.bytes), target: { kind: "report" } }),
      ],
      notes: [
        `ratio of medians ${time.ratioOfMedians.toFixed(3)}; both install with npm from one npm cache folder filled by an unmeasured run of each (prefer-offline, no audit, no fund)`,
        `create-telestion-service x --yes --no-git --runtime <packed runtime>; node create-vite/index.js y --template react-ts && npm install`,
      ],
    };
  },
};

/** The packages npm installed: the entries of its hidden lockfile, node_modules/.package-lock.json. */
function installed(project: string): { packages: number } {
  const lock = JSON.parse(readFileSync(join(project, "node_modules", ".package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
  return { packages: Object.keys(lock.packages).filter((path) => path.startsWith("node_modules/")).length };
}

/** Disk usage of a folder in bytes, as `du` counts it (blocks, each hard link once). */
async function diskUsage(dir: string): Promise<number> {
  const { stdout } = await run("du", ["-sk", dir], { timeoutMs: 60_000 });
  return Number(stdout.split("\t")[0]) * 1024;
}
