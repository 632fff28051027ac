import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

const TSX = fileURLToPath(import.meta.resolve("tsx"));

/** Children still running; a failed assertion must not leave a service running after its test file. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

export interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr or stdout has a line matching `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves to the exit code (or the signal's name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs a TypeScript file of this package in a real Node.js process (through tsx), with exactly the
 * environment given plus PATH, so no variable of the test runner leaks into the service.
 */
export function runTs(file: string, env: Record<string, string | undefined>, args: string[] = [], cwd?: string): Child {
  const child = spawn(process.execPath, ["--import", TSX, file, ...args], {
    cwd,
    env: { PATH: process.env["PATH"], ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    listeners.forEach((fn) => fn());
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    listeners.forEach((fn) => fn());
  });
  running.add(child);
  const exited = once(child, "exit").then(([code, signal]) => {
    running.delete(child);
    return (code ?? signal) as number | string;
  });
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal = "SIGTERM") => child.kill(signal),
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; stderr: ${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`process exited (${code}) before ${pattern}; stderr: ${stderr}`));
        });
        check();
      });
    },
  };
}

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
