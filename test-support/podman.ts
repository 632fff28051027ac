import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO } from "./built-cli.js";

/*
 * podman for test/image.test.ts: rootful, daemonless, no Docker Hub. The base image the generated
 * Dockerfile names is made by scripts/make-base-image.sh and kept by podman between runs.
 */

export interface Result {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** The environment every podman call gets: podman's config (see podmanSetup) and Docker's image format. */
export const podmanEnv: NodeJS.ProcessEnv = {
  // podman's default OCI image format has no HEALTHCHECK: build in Docker's, as the generated README says.
  BUILDAH_FORMAT: "docker",
};

/** Runs a command to its end; never throws, so a failing step shows its output in the assertion. */
export async function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...(options.env ?? process.env), ...podmanEnv }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
  // "close", not "exit": all output has arrived. once() rejects when the command cannot be started.
  const [code, signal] = await (once(child, "close") as Promise<[number | null, string | null]>).catch((err: Error) => [err.message, null] as const);
  clearTimeout(timer);
  return { code: code ?? signal ?? "unknown", stdout, stderr };
}

export function podman(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Result> {
  return run("podman", args, options);
}

/** The last non-empty line of a command's output, for a one-line reason. */
export function lastLine(result: Result): string {
  return (result.stderr + "\n" + result.stdout).split("\n").map((line) => line.trim()).filter((line) => line && !/level=(error|warning).*systemd/.test(line)).at(-1) ?? `exit ${result.code}`;
}

/**
 * Makes sure podman can build and run containers here, with the base image `baseImage` (and the NATS
 * image `natsImage`) in its store. Resolves to undefined when it can, else to the reason it cannot,
 * in one line. When a plain `podman run` fails, retries with test-support/podman-sandbox.conf and, if
 * that works, keeps using it for every later call.
 */
export async function podmanSetup(baseImage: string, natsImage: string): Promise<string | undefined> {
  const version = await run("podman", ["--version"]).catch(() => undefined);
  if (!version || version.code !== 0) return "podman is not installed (.ci/run installs it: apt-get install podman runc debootstrap podman-compose)";

  // The base is imported, not built, so it can be made before podman is known to run containers.
  const base = await makeImages([baseImage]);
  if (base) return `no base image ${baseImage}: ${base}`;

  const probe = () => podman(["run", "--rm", "--network", "none", baseImage, "true"], { timeoutMs: 60_000 });
  const plain = await probe();
  if (plain.code !== 0) {
    podmanEnv["CONTAINERS_CONF"] = join(REPO, "test-support", "podman-sandbox.conf");
    const sandboxed = await probe();
    if (sandboxed.code !== 0) {
      delete podmanEnv["CONTAINERS_CONF"];
      return `podman cannot run a container here: ${lastLine(plain)} (and with test-support/podman-sandbox.conf: ${lastLine(sandboxed)})`;
    }
  }
  const nats = await makeImages([baseImage, "--nats", natsImage]);
  return nats ? `no NATS image ${natsImage}: ${nats}` : undefined;
}

/** scripts/make-base-image.sh with `args`, its progress shown; resolves to its last line when it fails. */
async function makeImages(args: string[]): Promise<string | undefined> {
  const made = await run("bash", [join(REPO, "scripts", "make-base-image.sh"), ...args], { timeoutMs: 10 * 60_000 });
  process.stderr.write(made.stderr);
  return made.code === 0 ? undefined : lastLine(made);
}

/** Whether `command --version` runs. */
export async function installed(command: string): Promise<boolean> {
  try {
    await promisify(execFile)(command, ["--version"]);
    return true;
  } catch {
    return false;
  }
}
