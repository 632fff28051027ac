// Parent side of a worker: a child Node process (run through tsx) that takes commands over IPC.
// Every call is bounded in time; the child is tracked so that cleanup() ends it.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { assertRunning, stopChild, track } from "../proc.js";
import type { Reply, Request } from "./protocol.js";

const TSX = import.meta.resolve("tsx");

export class Worker {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #exit: string | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on("message", (raw) => {
      const reply = raw as Reply;
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`${name}: ${reply.error}`));
    });
    child.once("exit", (code, sig) => {
      this.#exit = `exited (${sig ?? code})`;
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`${name} ${this.#exit}`));
      this.#pending.clear();
    });
  }

  /** Starts `bench/workers/<script>.ts` with the given environment added. */
  static start(name: string, script: "service" | "client", env: Record<string, string> = {}): Worker {
    assertRunning();
    const path = fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
    const child = fork(path, [], {
      execArgv: ["--import", TSX],
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    track(child);
    return new Worker(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a command; rejects when the worker fails it, exits, or does not answer within `timeoutMs`. */
  call<T = unknown>(command: Omit<Request, "id">, timeoutMs: number): Promise<T> {
    if (this.#exit) return Promise.reject(new Error(`${this.name} ${this.#exit}`));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to "${command.cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...command, id } as Request);
    });
  }

  /** Freezes / resumes the process (SIGSTOP / SIGCONT), to let a backlog build up in the server. */
  pause(): void {
    this.child.kill("SIGSTOP");
  }

  resume(): void {
    this.child.kill("SIGCONT");
  }

  async stop(): Promise<void> {
    if (this.#exit) return;
    this.child.disconnect?.();
    await stopChild(this.child, 3_000);
  }
}
