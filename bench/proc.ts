// Process and temp-dir helpers. Everything the bench starts or creates is registered here and removed
// by cleanup(), which run.ts calls on success, failure, and SIGINT/SIGTERM (and a last synchronous pass on exit).
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const children = new Set<ChildProcess>();
/** nats-servers (started by test-support, so not ChildProcess objects of ours): pid → folder. */
const servers = new Map<number, string>();
let aborting = false;

/** Throws once cleanup() has begun: nothing new may start after that. */
export function assertRunning(): void {
  if (aborting) throw new Error("the bench is stopping");
}

/** Registers a nats-server by pid (and its folder) for the synchronous last pass on exit. */
export function trackServer(pid: number, dir: string | undefined): void {
  servers.set(pid, dir ?? "");
}

export function untrackServer(pid: number): void {
  servers.delete(pid);
}
const tempDirs = new Set<string>();
const cleanups: Array<() => Promise<void>> = [];

/** Registers a child so that cleanup() ends it (by its pid, or its process group when detached). */
export function track(child: ChildProcess, group = false): ChildProcess {
  children.add(child);
  (child as ChildProcess & { benchGroup?: boolean }).benchGroup = group;
  child.once("exit", () => children.delete(child));
  return child;
}

/** spawn() with tracking; `detached` children get their own process group so that grandchildren end too. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  assertRunning();
  const child = spawn(command, args, { ...options });
  return track(child, options.detached === true);
}

/** A fresh temporary directory, removed by cleanup(). */
export function tempDir(prefix: string): string {
  assertRunning();
  const dir = mkdtempSync(join(tmpdir(), `telestion-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Removes a temp dir now (it stays registered only until removed). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Runs `fn` during cleanup(), before children are killed (e.g. stopping a nats-server). */
export function onCleanup(fn: () => Promise<void>): void {
  if (aborting) void fn();
  else cleanups.push(fn);
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if ((child as ChildProcess & { benchGroup?: boolean }).benchGroup) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // already gone
  }
}

/** Waits for `child` to exit; resolves false when `timeoutMs` passes first. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  signal(child, "SIGCONT"); // a SIGSTOPped child would never handle SIGTERM
  signal(child, "SIGTERM");
  if (await waitExit(child, graceMs)) return;
  signal(child, "SIGKILL");
  await waitExit(child, 2_000);
}

let cleaning: Promise<void> | undefined;

/** Stops servers, ends every tracked child, removes temp dirs. Safe to call more than once. */
export function cleanup(): Promise<void> {
  aborting = true;
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
    await Promise.all([...children].map((child) => stopChild(child, 2_000)));
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
  })();
  return cleaning;
}

/** The last resort on process exit: synchronous, so only SIGKILL and rm. */
export function cleanupSync(): void {
  aborting = true;
  for (const child of children) signal(child, "SIGKILL");
  for (const [pid, dir] of servers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * The environment without what `npm run bench` adds (npm_config_local_prefix and friends would point a
 * nested npm at this repository instead of the folder it runs in).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_") && key !== "INIT_CWD") env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to completion (bounded); rejects with its output when it fails. */
export async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawnTracked(command, args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code));
  });
  const timeoutMs = options.timeoutMs ?? 300_000;
  const timer = setTimeout(() => void stopChild(child, 1_000), timeoutMs);
  const code = await exited.finally(() => clearTimeout(timer));
  const ms = performance.now() - started;
  if (code !== 0) {
    const tail = (stderr.trim() || stdout.trim()).split("\n").slice(-15).join("\n");
    throw new Error(`${command} ${args.join(" ")} failed (exit ${code}${ms >= timeoutMs ? ", timed out" : ""}):\n${tail}`);
  }
  return { stdout, stderr, ms };
}

const CLOCK_TICKS_PER_SECOND = 100; // _SC_CLK_TCK on Linux

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; undefined when gone. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in bytes from /proc/<pid>/status; undefined when gone. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** The pids of this process's direct children whose command name is `comm`. */
export function childPidsNamed(comm: string): number[] {
  const pids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return pids;
  }
  for (const task of tasks) {
    let list = "";
    try {
      list = readFileSync(`/proc/self/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const pid of list.trim().split(/\s+/).filter(Boolean).map(Number)) {
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm) pids.push(pid);
      } catch {
        // gone
      }
    }
  }
  return pids;
}

/** Polls `check` every `intervalMs` until it returns a value or `timeoutMs` passes (then undefined). */
export async function pollUntil<T>(check: () => T | undefined, timeoutMs: number, intervalMs = 2): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) return undefined;
    await sleep(intervalMs);
  }
}
