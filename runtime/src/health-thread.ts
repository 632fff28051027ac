import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BaseConfig } from "./config.js";

/** What the health thread gets (workerData). It holds NATS_PASSWORD: never print it. */
export interface HealthThreadData {
  nats: BaseConfig;
  serviceId: string;
  serviceName: string;
  /** RecentErrors.buffer, HandlerLoad.buffer and Heartbeat.buffer of the service. */
  errors: SharedArrayBuffer;
  load: SharedArrayBuffer;
  heartbeat: SharedArrayBuffer;
}

/** What the thread posts once: subscribed (and flushed), or why it could not. */
export type HealthThreadStatus = { ready: true } | { error: string };

/**
 * The names under which a generated project's build ships the thread's code: beside its ESM bundles
 * (scripts/build.mjs) and as an asset of its single executable (scripts/build-exe.mjs).
 */
export const HEALTH_WORKER_BUNDLE = "telestion-health-worker.mjs";
export const HEALTH_WORKER_ASSET = "telestion-health-worker.cjs";

/** How long the thread may take to connect and subscribe before the main thread gives up on it. */
const READY_TIMEOUT_MS = 10_000;

export interface HealthThread {
  /** `fn` runs once if the thread ends by itself (it crashed or exited), with the reason. */
  onEnd(fn: (why: string) => void): void;
  stop(): Promise<void>;
}

/**
 * Starts health-worker.ts on a thread of its own and resolves once it answers health; rejects with a
 * one-line reason. The thread is unref'd: it never keeps the process alive.
 */
export async function startHealthThread(data: HealthThreadData): Promise<HealthThread> {
  const source = workerSource();
  // No execArgv of the service's: the thread needs none, and --enable-source-maps (the Dockerfile's) alone
  // costs it ~1.5 MiB of RSS for a source map it never uses (it prints no stacks).
  const worker = new Worker(source.code ?? source.file!, { eval: source.code !== undefined, workerData: data, execArgv: [] });
  worker.unref();
  let ended: ((why: string) => void) | undefined;
  let lastError = "";
  let stopping = false;
  // An 'error' event without a listener would crash the service: keep its text for the 'exit' that follows.
  worker.on("error", (err) => (lastError = err.message));
  worker.once("exit", (code) => {
    if (!stopping) ended?.(lastError || `exit code ${code}`);
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      stopping = true;
      void worker.terminate();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS).unref();
    worker.once("message", (status: HealthThreadStatus) => {
      if ("error" in status) return fail(status.error);
      clearTimeout(timer);
      resolve();
    });
    ended = (why) => fail(why);
  });
  ended = undefined;
  return {
    onEnd: (fn) => (ended = fn),
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
}

/**
 * Where the thread's code is, for each way a service runs:
 * - a single executable (build-exe.mjs, Node SEA): an asset of the executable, run with `eval`;
 * - beside this module: `health-worker.js` when the runtime runs as compiled by tsc (node_modules,
 *   `tsx watch src/main.ts`), or the bundle's `telestion-health-worker.mjs` when it is bundled into
 *   dist/main.mjs or dist/log-sink.mjs (esbuild leaves `new Worker(url)` alone, so build.mjs emits it);
 * - `health-worker.ts` beside this module when it runs from the runtime's TypeScript sources (its own
 *   tests, the benchmarks): Node 20 cannot run TypeScript in a thread by itself, so a bootstrap loads
 *   it through tsx, a development dependency of the runtime's repository.
 */
function workerSource(): { code?: string; file?: URL } {
  // Not `import("node:sea")`: an executable's main script cannot import dynamically, and esbuild keeps it.
  // getBuiltinModule exists from Node 20.16; an older Node just finds no asset (and answers on the main thread).
  const sea = process.getBuiltinModule?.("node:sea");
  if (sea?.isSea()) return { code: sea.getAsset(HEALTH_WORKER_ASSET, "utf8") };
  // import.meta.url is empty in a CommonJS bundle; only the executable's is one, handled above.
  const here = import.meta.url;
  if (!here) throw new Error("no module URL to find the health worker beside");
  for (const name of ["health-worker.js", HEALTH_WORKER_BUNDLE]) {
    const file = new URL(name, here);
    if (existsSync(file)) return { file };
  }
  const source = new URL("health-worker.ts", here);
  if (!existsSync(source)) throw new Error(`neither health-worker.js nor ${HEALTH_WORKER_BUNDLE} beside ${fileURLToPath(here)}`);
  const tsx = createRequire(here).resolve("tsx/cjs/api");
  const path = fileURLToPath(source);
  return { code: `require(${JSON.stringify(tsx)}).require(${JSON.stringify(path)}, ${JSON.stringify(path)});` };
}
