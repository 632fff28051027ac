import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The telestion-runtime package, whose bin `telestion` is. */
export const RUNTIME = join(HERE, "..", "..", "..");
export const REPO = join(RUNTIME, "..");
export const FIXTURES = join(HERE, "..", "fixtures");
const FROM_SOURCE = join(FIXTURES, "telestion-from-source.ts");
// By path: `--import tsx` would be looked up from the child's working directory, which may be anywhere.
export const TSX = pathToFileURL(join(REPO, "node_modules", "tsx", "dist", "loader.mjs")).href;

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** What the command reads on stdin (none: stdin is closed). */
  input?: string | Uint8Array;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: this process's, with `env` applied (undefined removes a key). */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env };
  // A bus test must never pick up the developer's own bus by accident.
  for (const key of ["NATS_URL", "NATS_USER", "NATS_PASSWORD", "SERVICE_NAME", "DATA_DIR", "SERVICE_ID"]) delete result[key];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** A running `telestion …` (from source), with its output as it comes. */
export interface RunningCli {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** Stops reading its stdout, as `| head -1` does once it has its line. */
  closeStdout(): void;
  finished: Promise<Finished>;
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", TSX, FROM_SOURCE, ...args], {
    cwd: options.cwd ?? REPO,
    env: childEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  // Without input, stdin ends at once, as from /dev/null. A command that exits before reading all of
  // it (bad input) closes the pipe: that is its answer, not the test's error.
  child.stdin.on("error", () => undefined);
  child.stdin.end(options.input);
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout.on("data", (chunk: Buffer) => ((stdout += chunk.toString()), changed()));
  child.stderr.on("data", (chunk: Buffer) => ((stderr += chunk.toString()), changed()));
  const finished = new Promise<Finished>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    closeStdout: () => child.stdout.destroy(),
    finished,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stdout) && !pattern.test(stderr)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** `telestion …` (from source) to its end. */
export function runCli(args: string[], options: CliOptions = {}): Promise<Finished> {
  return startCli(args, options).finished;
}

/** Why Python services cannot be run here, or undefined when python3 with nats-py is available. */
export function pythonProblem(): string | undefined {
  const result = spawnSync("python3", ["-c", "import nats"], { encoding: "utf8" });
  if (result.error) return "python3 is not installed";
  if (result.status !== 0) return "nats-py is not installed for python3 (pip install nats-py; .ci/run does it)";
  return undefined;
}
