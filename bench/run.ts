// npm run bench [-- --quick] [--only 4,5] [--reps N] [--prototypes] [--no-cache] [--list]
// Runs each benchmark next to its baseline (alternating A/B repetitions), prints a table, and writes the
// same figures to bench/results/latest.json. Every server, child process and temp folder it starts is
// removed at the end, also on failure or Ctrl-C.
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Artifacts, ROOT } from "./artifacts.js";
import { coldStart } from "./cold-start.js";
import { executable } from "./executable.js";
import { firstRun } from "./first-run.js";
import { generation } from "./generation.js";
import { healthUnderLoad } from "./health-load.js";
import { logSink } from "./log-sink.js";
import { memorySize } from "./memory-size.js";
import { cleanup, cleanupSync } from "./proc.js";
import { renderTable, summary, writeJson } from "./report.js";
import { requestReply } from "./request-reply.js";
import { throughput } from "./throughput.js";
import { SkipError, type BenchResult, type Benchmark, type Context } from "./types.js";

const BENCHMARKS: Benchmark[] = [generation, coldStart, executable, throughput, requestReply, healthUnderLoad, memorySize, logSink, firstRun];
const RESULTS = join(ROOT, "bench", "results", "latest.json");

const USAGE = `usage: npm run bench [-- options]
  --quick         fewer repetitions and smaller counts (under two minutes on 2 cores, with a warm cache)
  --only 4,5      run only these benchmarks (numbers or names)
  --reps N        repetitions per side (overrides each benchmark's default)
  --prototypes    also measure prototypes of proposed runtime changes (benchmark 6: health thread)
  --no-cache      rebuild the generated project, bundles and executable even if cached
  --list          list the benchmarks and exit`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      reps: { type: "string" },
      "no-cache": { type: "boolean", default: false },
      prototypes: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const b of BENCHMARKS) console.log(`${b.id}  ${b.name.padEnd(18)} ${b.title}`);
    return 0;
  }
  const selected = select(values.only);
  const reps = values.reps === undefined ? undefined : Number(values.reps);
  if (reps !== undefined && !(Number.isInteger(reps) && reps >= 1 && reps <= 50)) throw new Error("--reps needs a whole number from 1 to 50");

  const t0 = performance.now();
  const log = (line: string) => {
    const at = `${((performance.now() - t0) / 1000).toFixed(1)}s`.padStart(7);
    process.stderr.write(line.startsWith("\n") ? `\n${at} ${line.slice(1)}\n` : `${at} ${line}\n`);
  };
  const ctx: Context = { quick: values.quick, reps, prototypes: values.prototypes, log, artifacts: new Artifacts(log, !values["no-cache"]) };
  const started = performance.now();
  const loadavgStart = loadavg();
  log(`telestion bench${ctx.quick ? " --quick" : ""}: ${selected.map((b) => b.id).join(", ")} (load average ${loadavgStart.map((l) => l.toFixed(2)).join(" ")})`);

  const results: BenchResult[] = [];
  for (const bench of selected) {
    if (interrupted) break;
    log(`\n[${bench.id}] ${bench.name}: ${bench.title}`);
    const t0 = performance.now();
    const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
    try {
      const out = await bench.run(ctx);
      results.push({ id: bench.id, name: bench.name, title: bench.title, status: "ok", seconds: seconds(), ...out });
    } catch (err) {
      const skipped = err instanceof SkipError;
      const reason = err instanceof Error ? err.message : String(err);
      log(`  ${skipped ? "skipped" : "FAILED"}: ${reason}`);
      if (!skipped && process.env["DEBUG"] && err instanceof Error) log(err.stack ?? "");
      results.push({ id: bench.id, name: bench.name, title: bench.title, status: skipped ? "skipped" : "failed", reason, seconds: seconds(), figures: [], notes: [] });
    }
    log(`  (${seconds()} s)`);
  }

  const info = {
    date: new Date().toISOString(),
    quick: ctx.quick,
    argv: process.argv.slice(2),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    loadavgStart,
  };
  console.log(`\n${renderTable(results)}\n`);
  for (const r of results) for (const note of r.notes) console.log(`[${r.id}] ${note}`);
  const s = summary(results);
  console.log(
    `\n${s.met} met, ${s.missed} missed, ${s.report} report-only; ${s.skipped} skipped, ${s.failed} failed — ${info.seconds} s` +
      ` on ${process.version}, load average ${loadavgStart.map((l) => l.toFixed(2)).join(" ")} at start`,
  );
  if (interrupted) return 130;
  writeJson(RESULTS, info, results);
  console.log(`figures written to ${RESULTS}`);
  return s.failed > 0 ? 1 : 0;
}

function select(only: string | undefined): Benchmark[] {
  if (only === undefined) return BENCHMARKS;
  const wanted = only.split(",").map((s) => s.trim()).filter(Boolean);
  const chosen = wanted.map((w) => {
    const found = BENCHMARKS.find((b) => String(b.id) === w || b.name === w);
    if (!found) throw new Error(`--only: no benchmark "${w}" (see --list)`);
    return found;
  });
  return BENCHMARKS.filter((b) => chosen.includes(b));
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${sig}: cleaning up\n`);
    void cleanup().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  });
}
process.on("exit", cleanupSync);
// A worker that dies mid-call rejects every pending call; after an interrupt nobody awaits them any more.
process.on("unhandledRejection", (err) => {
  if (!interrupted) process.stderr.write(`unhandled: ${err instanceof Error ? err.message : String(err)}\n`);
});

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  await cleanup();
}
process.exit(code);
