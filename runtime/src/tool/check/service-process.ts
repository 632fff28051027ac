/**
 * One run of the service under test. It starts in a process group of its own (`detached`), so that
 * the checker can signal everything the command started (`npx`, `tsx` and `npm run` start children)
 * and so that a Ctrl-C meant for the checker reaches the service only through the checker's cleanup.
 */
import { spawn } from "node:child_process";

/** How much of each stream is kept: enough to search for a password and to count lines. */
const KEPT_BYTES = 1024 * 1024;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds after the start. */
  afterMs: number;
}

export interface ServiceRun {
  /** Resolves when the command's process exits; rejects when it cannot be started at all. */
  exited: Promise<Exit>;
  exit: Exit | undefined;
  startedAt: number;
  /** What it wrote so far (the first MiB of each stream). */
  stdout(): string;
  stderr(): string;
  /** Signals the whole process group; a group that is gone already is fine. */
  signal(signal: NodeJS.Signals): void;
}

export function startRun(command: string[], env: NodeJS.ProcessEnv): ServiceRun {
  const startedAt = performance.now();
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const out = { stdout: "", stderr: "" };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.on("data", (chunk: Buffer) => {
      if (out[stream].length < KEPT_BYTES) out[stream] += chunk.toString("utf8");
    });
  }
  const run: ServiceRun = {
    exit: undefined,
    startedAt,
    exited: new Promise<Exit>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        run.exit = { code, signal, afterMs: performance.now() - startedAt };
        resolve(run.exit);
      });
    }),
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    signal(signal) {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: nothing of it is left
      }
    },
  };
  // Rejections are read by whoever awaits `exited`; this keeps an unread one from ending the checker.
  run.exited.catch(() => {});
  return run;
}

/** The exit within `boundMs`, or undefined when it is still running then. */
export async function exitWithin(run: ServiceRun, boundMs: number): Promise<Exit | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), boundMs)));
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `exit 1`, `signal SIGSEGV`. */
export function exitStatus(exit: Exit): string {
  return exit.code !== null ? `exit ${exit.code}` : `signal ${exit.signal}`;
}

/** `exit 1 after 0.42 s`, `signal SIGKILL after 3.1 s` (counted from the start). */
export function describeExit(exit: Exit): string {
  return `${exitStatus(exit)} after ${seconds(exit.afterMs)}`;
}

/** `0.42 s`, `10 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}
