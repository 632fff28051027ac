// The log sink at its limits, with a real nats-server, real files and real child processes: its own
// queue group beside a service's handlers, thousands of categories under a small descriptor limit,
// a full disk, and a logs folder it cannot write.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startNatsServer, type NatsServer } from "../../test-support/nats-server.js";
import { LOG_SINK_SUBJECTS, parseLogLine, startLogSink, startService, type Service, type StartOptions } from "../src/index.js";
import { waitUntil } from "./helpers/services.js";

const SINK_BIN = fileURLToPath(new URL("../dist/bin/log-sink.js", import.meta.url));
const SINK_SRC = fileURLToPath(new URL("../src/log-sink.ts", import.meta.url));
const NOBODY = 65534;
const AUTH = { user: "telestion", password: "bus-password" };

let nats: NatsServer;
const root = mkdtempSync(join(tmpdir(), "log-sink-limits-"));
chmodSync(root, 0o755); // uid nobody must reach the folders inside
const services: Service[] = [];
const children = new Set<ChildProcess>();
const mounts: string[] = [];

beforeAll(async () => {
  // These tests run the built executable: a stale build would test old code.
  if (!existsSync(SINK_BIN) || statSync(SINK_BIN).mtimeMs < statSync(SINK_SRC).mtimeMs) {
    throw new Error("runtime/dist is older than runtime/src: run `npm run build --workspace runtime` first");
  }
  nats = await startNatsServer({ auth: AUTH, monitor: true });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(services.map((service) => service.stop({ timeoutMs: 1_000 })));
  await nats?.stop();
  for (const dir of mounts) spawnSync("umount", ["-l", dir]);
  rmSync(root, { recursive: true, force: true });
});

/** Text as raw bytes: the sink writes it as text, whatever rule encodes a string body. */
const text = (value: string) => new TextEncoder().encode(value);

const natsEnv = () => ({ NATS_URL: nats.url, NATS_USER: AUTH.user, NATS_PASSWORD: AUTH.password });

async function start(serviceName: string, dataDir: string, options: StartOptions = {}): Promise<Service> {
  const service = await startService({ argv: [], env: { ...natsEnv(), SERVICE_NAME: serviceName, DATA_DIR: dataDir }, ...options });
  services.push(service);
  return service;
}

function folder(name: string, mode = 0o755): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, mode);
  return dir;
}

/** Bodies of the lines of a log file, as text; [] when there is no file. */
function bodies(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  return text === "" ? [] : text.split("\n").slice(0, -1).map((line) => new TextDecoder().decode(parseLogLine(line).body));
}

interface SinkProcess {
  child: ChildProcess;
  stderr(): string;
  /** Resolves once the sink says it is writing; rejects when it exits first. */
  ready: Promise<void>;
  exited: Promise<number | string>;
}

/** Runs the built telestion-log-sink; `openFiles` starts it under `ulimit -n`. */
function startSinkProcess(
  env: Record<string, string>,
  options: { cwd?: string; args?: string[]; openFiles?: number; uid?: number } = {},
): SinkProcess {
  const node = [process.execPath, SINK_BIN, ...(options.args ?? [])];
  const [command, ...args] = options.openFiles ? ["bash", "-c", `ulimit -n ${options.openFiles} && exec "$0" "$@"`, ...node] : node;
  const child = spawn(command!, args, {
    cwd: options.cwd,
    env: { PATH: process.env["PATH"], ...env },
    stdio: ["ignore", "ignore", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  children.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => {
    children.delete(child);
    return (code ?? signal) as number | string;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", () => stderr.includes("writing to") && resolve());
    void exited.then((code) => reject(new Error(`log sink exited (${code}): ${stderr}`)));
  });
  ready.catch(() => undefined); // a test that expects the sink to fail at start does not await it
  return { child, stderr: () => stderr, ready, exited };
}

/** Queue groups of the server's subscriptions on `subject` (its /subsz monitoring endpoint). */
async function queueGroups(subject: string): Promise<string[]> {
  const response = await fetch(`${nats.monitorUrl}/subsz?subs=1&limit=10000`);
  const { subscriptions_list: subs = [] } = (await response.json()) as { subscriptions_list?: Array<{ subject: string; qgroup?: string }> };
  return subs.filter((sub) => sub.subject === subject).map((sub) => sub.qgroup ?? "");
}

/**
 * A handler on sensors.<name> that logs each message to category <name>; 1,000 messages must all
 * reach it and DATA_DIR/logs/<name>.log. Resolves to how many the handler got.
 */
async function sensorsRoundTrip(service: Service, name: string): Promise<number> {
  let received = 0;
  service.subscribe(`sensors.${name}`, (message) => {
    received++;
    service.log(name, message.data);
  });
  await service.nc.flush();
  const publisher = await start("sensors-publisher", folder("publisher"));
  for (let i = 0; i < 1_000; i++) publisher.publish(`sensors.${name}`, { i });
  const logFile = join(service.dataDir, "logs", `${name}.log`);
  await publisher.nc.flush();
  await waitUntil(() => bodies(logFile).length >= 1_000, 10_000).catch(() => undefined);
  expect(bodies(logFile)).toEqual(Array.from({ length: 1_000 }, (_, i) => JSON.stringify({ i })));
  return received;
}

describe("the sink's queue group", () => {
  it("embedded in a service, it takes none of the service's messages: the handler gets all 1,000", async () => {
    const dataDir = folder("embedded");
    const service = await start("sensors", dataDir);
    startLogSink(service);
    expect(await sensorsRoundTrip(service, "embedded")).toBe(1_000);
    for (const subject of LOG_SINK_SUBJECTS) expect(await queueGroups(subject)).toEqual(["sensors-log-sink"]);
    expect(await queueGroups(">")).toEqual([]);
  });

  it("the executable started with --dev in a service's folder does not join that service's group", async () => {
    const serviceFolder = folder("probe-service");
    const service = await start("", "", { argv: ["--dev"], cwd: serviceFolder, env: natsEnv() });
    expect(service.serviceName).toBe("dev-probe-service");
    const sink = startSinkProcess(natsEnv(), { cwd: serviceFolder, args: ["--dev"] });
    await sink.ready;
    for (const subject of LOG_SINK_SUBJECTS) {
      expect(await queueGroups(subject)).toContain("dev-log-sink");
      expect(await queueGroups(subject)).not.toContain("dev-probe-service");
    }
    // Both use --dev's DATA_DIR=./data of the folder.
    expect(service.dataDir).toBe(join(serviceFolder, "data"));
    expect(await sensorsRoundTrip(service, "dev")).toBe(1_000);
    sink.child.kill("SIGTERM");
    expect(await sink.exited).toBe(0);
  });
});

describe("open files", () => {
  it("5,000 categories under ulimit -n 1024: every line in its file, in order, with few descriptors open", async () => {
    const dataDir = folder("many");
    const sink = startSinkProcess({ ...natsEnv(), SERVICE_NAME: "log-sink-many", DATA_DIR: dataDir }, { openFiles: 1024 });
    await sink.ready;
    const publisher = await start("many-publisher", folder("many-publisher"));
    // All first lines, then all second lines: between a category's two lines, 4,999 other files are written.
    for (const round of [0, 1]) for (let c = 0; c < 5_000; c++) publisher.log(`category-${c}`, text(`line ${round} of ${c}`));
    publisher.log("marker", "end");
    await publisher.nc.flush();
    // One publisher, one subscriber: the marker arrives last and is written in the last batch.
    await waitUntil(() => bodies(join(dataDir, "logs", "marker.log")).length === 1, 60_000);
    expect(readdirSync(`/proc/${sink.child.pid}/fd`).length).toBeLessThan(128);
    sink.child.kill("SIGTERM");
    expect(await sink.exited).toBe(0);
    for (let c = 0; c < 5_000; c++) {
      const written = bodies(join(dataDir, "logs", `category-${c}.log`));
      if (written.length !== 2 || written[0] !== `line 0 of ${c}` || written[1] !== `line 1 of ${c}`) {
        expect(written, `category-${c}.log`).toEqual([`line 0 of ${c}`, `line 1 of ${c}`]);
      }
    }
    expect(sink.stderr()).not.toMatch(/lost|EMFILE/);
  }, 90_000); // 10,000 files written and read back: slow on a loaded machine
});

describe("lost lines", () => {
  it("on a full disk, every lost line is one error; files keep whole lines in order; stderr says where and why", async (ctx) => {
    const disk = folder("full-disk", 0o777);
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk], { encoding: "utf8" });
    if (mounted.status !== 0) ctx.skip(`a 64 KiB tmpfs needs root (mount): ${mounted.stderr.trim()}`);
    mounts.unshift(disk);
    const printed: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      const service = await start("full-disk-sink", disk);
      startLogSink(service);
      await service.nc.flush();
      const publisher = await start("full-disk-publisher", folder("full-disk-publisher"));
      const categories = ["cat-0", "cat-1", "cat-2"];
      const perCategory = 400; // 3 × 400 × ~250 bytes: about 300 KB for 64 KiB
      for (let i = 0; i < perCategory; i++) for (const category of categories) publisher.log(category, { i, pad: "x".repeat(200) });
      await publisher.nc.flush();

      const written = () => categories.map((category) => bodies(join(disk, "logs", `${category}.log`)));
      const total = categories.length * perCategory;
      await waitUntil(() => written().flat().length + service.errors.total === total, 15_000).catch(() => undefined);
      expect(written().flat().length + service.errors.total).toBe(total);
      expect(service.errors.total).toBeGreaterThan(0);
      for (const lines of written()) {
        const order = lines.map((body) => (JSON.parse(body) as { i: number }).i);
        expect(order).toEqual([...order].sort((a, b) => a - b));
        expect(new Set(order).size).toBe(order.length);
      }
      expect(printed.filter((line) => line.startsWith("[log-sink]"))[0]).toMatch(
        new RegExp(`^\\[log-sink\\] lost \\d+ line\\(s\\): ${disk}/logs/cat-\\d\\.log has no space left \\(ENOSPC, uid 0\\): make room or make it writable for this user$`),
      );
    } finally {
      spy.mockRestore();
    }
  });
});

describe("a logs folder removed while the sink runs", () => {
  it("is made again: no line is lost", async () => {
    const dataDir = folder("removed");
    const service = await start("removed-sink", dataDir);
    startLogSink(service);
    await service.nc.flush();
    const publisher = await start("removed-publisher", folder("removed-publisher"));
    publisher.log("kept", text("before"));
    await publisher.nc.flush();
    const file = join(dataDir, "logs", "kept.log");
    await waitUntil(() => bodies(file).length === 1);
    rmSync(join(dataDir, "logs"), { recursive: true });
    // Its descriptor still writes to the removed file: only a category opened afresh sees the gap.
    publisher.log("fresh", text("after"));
    await publisher.nc.flush();
    await waitUntil(() => bodies(join(dataDir, "logs", "fresh.log")).length === 1 || service.errors.total > 0);
    expect(service.errors.total).toBe(0);
    expect(bodies(join(dataDir, "logs", "fresh.log"))).toEqual(["after"]);
  });
});

describe("a logs folder the sink cannot write", () => {
  async function expectOneLineExit(sink: SinkProcess, message: string): Promise<void> {
    const timeout = new Promise((resolve) => setTimeout(resolve, 15_000, "still running after 15 s"));
    expect(await Promise.race([sink.exited, timeout])).toBe(1);
    const lines = sink.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`error: ${message}`);
  }

  it("root-owned 0555 while the sink runs as nobody: exit 1 naming the path, EACCES and the uid", async () => {
    const dataDir = folder("logs-0555", 0o777);
    folder("logs-0555/logs", 0o555);
    const sink = startSinkProcess({ ...natsEnv(), SERVICE_NAME: "log-sink-0555", DATA_DIR: dataDir }, { uid: NOBODY });
    await expectOneLineExit(
      sink,
      `log sink: ${dataDir}/logs is not writable for this user (EACCES, uid ${NOBODY}): make it writable for this user or point DATA_DIR elsewhere`,
    );
  });

  it("a read-only mount: exit 1 naming the path, EROFS and the uid", async (ctx) => {
    const dataDir = folder("logs-ro");
    const logs = folder("logs-ro/logs");
    const bound = spawnSync("mount", ["--bind", logs, logs], { encoding: "utf8" });
    if (bound.status !== 0) ctx.skip(`mount --bind needs root: ${bound.stderr.trim()}`);
    mounts.unshift(logs);
    const readOnly = spawnSync("mount", ["-o", "remount,bind,ro", logs], { encoding: "utf8" });
    if (readOnly.status !== 0) ctx.skip(`remounting read-only failed: ${readOnly.stderr.trim()}`);
    const sink = startSinkProcess({ ...natsEnv(), SERVICE_NAME: "log-sink-ro", DATA_DIR: dataDir });
    await expectOneLineExit(
      sink,
      `log sink: ${logs} is on a read-only file system (EROFS, uid 0): make it writable for this user or point DATA_DIR elsewhere`,
    );
  });
});
