// Health that tells a hung instance (liveness.ts): a main thread stuck in `while (true) {}` or a main
// connection that is down makes the health reply say `alive: false`, and the probes fail for that
// instance only, also when a healthy sibling of the same SERVICE_NAME answers on the same bus.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createInbox, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../../test-support/nats-server.js";
import { HEALTH_SUBJECT, RecentErrors, startService, type BaseConfig, type HealthReport } from "../src/index.js";
import { serveHealth } from "../src/health.js";
import { probeHealth, probeLive } from "../src/health-probe.js";
import { aliveFilePath, Heartbeat, notAliveReason, readAliveFile, startLiveness } from "../src/liveness.js";
import { HandlerLoad } from "../src/load.js";
import { connectNats } from "../src/nats.js";
import { instance } from "../src/tool/commands/ls.js";
import { fixture, runTs } from "./helpers/child.js";
import { runCli, TSX } from "./tool/helpers/cli.js";
import { waitUntil } from "./helpers/services.js";

const AUTH = { user: "telestion", password: "bus-password" };
let nats: NatsServer;
let client: NatsConnection;
const dirs: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer({ auth: AUTH });
  client = await connect({ servers: nats.url, user: AUTH.user, pass: AUTH.password });
});
afterAll(async () => {
  await client.close();
  await nats.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function env(serviceName: string, overrides: Record<string, string> = {}): Record<string, string> {
  return { NATS_URL: nats.url, NATS_USER: AUTH.user, NATS_PASSWORD: AUTH.password, SERVICE_NAME: serviceName, DATA_DIR: "/tmp/telestion-runtime-test", ...overrides };
}

/** A temporary folder of this test file: each instance's own TMPDIR, as each container has its own /tmp. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "liveness-"));
  dirs.push(dir);
  return dir;
}

/** One run of the shipped probe (`node dist/health.mjs [--live]`, from source) with an instance's environment. */
async function probe(environment: Record<string, string>, args: string[] = []): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = runTs(fixture("health-probe.ts"), environment, args);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** The first health reply of `serviceId` within `ms`. */
async function healthOf(serviceId: string, ms = 500): Promise<HealthReport | undefined> {
  const inbox = createInbox();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      resolve(undefined);
    }, ms);
    const sub = client.subscribe(inbox, {
      callback: (err, msg) => {
        // The server's "no responders" status (empty) while no health subscription is on this server.
        if (err || msg.data.length === 0) return;
        const report = msg.json<HealthReport>();
        if (report.service !== serviceId) return;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(report);
      },
    });
    client.publish(HEALTH_SUBJECT, new Uint8Array(0), { reply: inbox });
  });
}

describe("two instances of one SERVICE_NAME without SERVICE_ID, one hung", () => {
  it("the hung one's probes fail (NATS within 15 s, --live too), the other's pass; a clean stop removes the alive file", async () => {
    const name = "liveness-twin";
    const [envA, envB] = [env(name, { TMPDIR: tempDir() }), env(name, { TMPDIR: tempDir() })];
    const a = runTs(fixture("hang-service.ts"), envA);
    const b = runTs(fixture("hang-service.ts"), envB);
    await Promise.all([a.waitFor(/^ready /m), b.waitFor(/^ready /m)]);
    const idA = /^ready (\S+)/m.exec(a.stdout())![1]!;
    const idB = /^ready (\S+)/m.exec(b.stdout())![1]!;
    expect(idA).not.toBe(idB);

    // Each probe finds its own instance through the alive file in its own TMPDIR.
    const fileA = join(envA["TMPDIR"]!, `telestion-${name}.alive`);
    expect(readAliveFile(fileA)).toMatchObject({ pid: a.process.pid, service: idA, name, boundMs: 5_000 });
    expect((await probe(envA)).stdout).toMatch(new RegExp(`^healthy: ${idA} \\(${name}\\), 0 recent error\\(s\\)`));
    expect((await probe(envA, ["--live"])).stdout).toMatch(new RegExp(`^alive: ${idA} \\(${name}\\), pid ${a.process.pid}, main thread ran \\d+\\.\\d s ago`));

    client.publish(`test.hang.${idA}`, "");
    await client.flush();
    const hungAt = Date.now();
    // Polled as Docker's HEALTHCHECK would: the probe fails once the main thread has not run for 5 s.
    let hung: Awaited<ReturnType<typeof probe>>;
    do hung = await probe(envA);
    while (hung.code === 0 && Date.now() - hungAt < 20_000);
    expect(Date.now() - hungAt).toBeLessThan(15_000);
    expect(hung.code).toBe(1);
    expect(hung.stderr).toMatch(new RegExp(`^unhealthy: ${idA} \\(${name}\\) answers but is not alive: its main thread has not run for \\d+\\.\\d s \\(a handler that never returns\\?\\)\\n$`));
    const live = await probe(envA, ["--live"]);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(new RegExp(`^unhealthy: ${idA} \\(pid ${a.process.pid}\\) last wrote ${fileA} \\d+\\.\\d s ago \\(bound 5\\.0 s\\): its main thread is stuck`));
    // The health thread still answers, and says why; the hang counts as an error.
    expect(await healthOf(idA)).toMatchObject({ alive: false, connected: true, errors: 1, stalledMs: expect.any(Number) });

    // The healthy sibling answers too, yet only for its own probes.
    const [natsB, liveB] = await Promise.all([probe(envB), probe(envB, ["--live"])]);
    expect([natsB.code, liveB.code]).toEqual([0, 0]);
    expect(natsB.stdout).toMatch(new RegExp(`^healthy: ${idB} `));
    expect(liveB.stdout).toMatch(new RegExp(`^alive: ${idB} `));

    a.kill("SIGKILL"); // a stuck main thread handles no SIGTERM
    await a.exited;
    const gone = await probe(envA, ["--live"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`^unhealthy: ${idA} \\(pid ${a.process.pid}\\) is not running: it left ${fileA} behind`));

    const fileB = join(envB["TMPDIR"]!, `telestion-${name}.alive`);
    expect(existsSync(fileB)).toBe(true);
    b.kill("SIGTERM");
    expect(await b.exited).toBe(0);
    expect(existsSync(fileB)).toBe(false);
    const stopped = await probe(envB, ["--live"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(new RegExp(`^unhealthy: no alive file ${fileB}: ${name} has not started here \\(or stopped\\)`));
  }, 90_000);
});

describe("the main connection down while the health thread's is up", () => {
  it("health says connected: false and not alive, the probe fails saying so; back to alive after the reconnect", async () => {
    // The main connection goes to a server of its own, which is stopped; the thread's (and the client's) stays up.
    const mainServer = await startNatsServer({ auth: AUTH });
    const config: BaseConfig = { NATS_URL: nats.url, NATS_USER: AUTH.user, NATS_PASSWORD: AUTH.password, SERVICE_NAME: "liveness-disconnected", DATA_DIR: "/tmp" };
    const nc = await connectNats({ ...config, NATS_URL: mainServer.url });
    const heartbeat = new Heartbeat();
    const file = join(tempDir(), "disconnected.alive");
    const liveness = startLiveness({ heartbeat, nc, file, serviceId: "disconnected-1", serviceName: "liveness-disconnected" });
    const source = { errors: new RecentErrors(), load: new HandlerLoad(), heartbeat, serviceId: "disconnected-1", serviceName: "liveness-disconnected" };
    const responder = serveHealth(nc, source, config);
    try {
      // Replies on the client's server come from the thread only.
      for (let tries = 0; !(await healthOf("disconnected-1", 300)); tries++) if (tries > 30) throw new Error("the health thread never answered");
      expect(await healthOf("disconnected-1")).toMatchObject({ alive: true, connected: true, errors: 0 });

      await mainServer.stop();
      await waitUntil(() => !heartbeat.read().connected, 10_000);
      expect(await healthOf("disconnected-1")).toMatchObject({ alive: false, connected: false, errors: 1 });
      await expect(probeHealth({ argv: [], env: { ...config, SERVICE_ID: "disconnected-1" } })).rejects.toThrow(
        /^disconnected-1 \(liveness-disconnected\) answers but is not alive: its own NATS connection is down$/,
      );
      // Liveness without NATS is unaffected: a NATS outage must restart nothing.
      expect(probeLive({ argv: [], env: { ...config, TELESTION_ALIVE_FILE: file } })).toMatchObject({ service: "disconnected-1", pid: process.pid });

      await mainServer.restart();
      await waitUntil(() => heartbeat.read().connected, 15_000);
      expect(await healthOf("disconnected-1")).toMatchObject({ alive: true, connected: true, errors: 0 });
    } finally {
      await responder.stop();
      liveness.stop();
      await nc.close();
      await mainServer.stop();
    }
  }, 60_000);
});

describe("the alive file and the stall bound", () => {
  it("startService writes the alive file (TELESTION_ALIVE_FILE) with pid, id, name, time and bound, and stop() removes it", async () => {
    const file = join(tempDir(), "in-process.alive");
    const before = Date.now();
    const service = await startService({ argv: [], nats: false, stallBoundMs: 2_000, env: env("liveness-file", { TELESTION_ALIVE_FILE: file }) });
    const record = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(record).toEqual({ pid: process.pid, service: service.serviceId, name: "liveness-file", time: expect.any(Number), boundMs: 2_000 });
    expect(record["time"]).toBeGreaterThanOrEqual(before);
    // Rewritten about once a second (a quarter of a 2 s bound here): a fresh file is one that keeps changing.
    await waitUntil(() => readAliveFile(file)!.time > (record["time"] as number), 3_000);
    expect(probeLive({ argv: [], env: env("liveness-file", { TELESTION_ALIVE_FILE: file }) }).service).toBe(service.serviceId);
    expect(service.health()).toMatchObject({ alive: true, connected: true });
    await service.stop();
    expect(existsSync(file)).toBe(false);
  });

  it("is under the tmp dir by SERVICE_NAME (and SERVICE_ID when set), any name as one file name", () => {
    expect(aliveFilePath({}, "my-service")).toBe(join(tmpdir(), "telestion-my-service.alive"));
    expect(aliveFilePath({ SERVICE_ID: "one" }, "my-service")).toBe(join(tmpdir(), "telestion-my-service.one.alive"));
    expect(aliveFilePath({}, "../etc/x")).toBe(join(tmpdir(), "telestion-..%2Fetc%2Fx.alive"));
    expect(aliveFilePath({ TELESTION_ALIVE_FILE: "/run/me.alive" }, "my-service")).toBe("/run/me.alive");
  });

  it("a stall bound that is no whole number of ms from 1000 is refused before connecting", async () => {
    // NATS_URL names no server: the bound must be refused first.
    await expect(startService({ argv: [], stallBoundMs: 10, env: env("liveness-bound", { NATS_URL: "127.0.0.1:1" }) })).rejects.toThrow(
      "stallBoundMs must be a whole number of ms from 1000 (default 5000), got 10",
    );
  });

  it("the heartbeat tells a stalled main thread from a busy one by its bound", () => {
    const heartbeat = new Heartbeat(1_000);
    const view = Heartbeat.view(heartbeat.buffer);
    heartbeat.beat(10_000);
    expect(view.read(10_900)).toEqual({ alive: true, stalledMs: 900, connected: true });
    expect(view.read(11_001)).toEqual({ alive: false, stalledMs: 1_001, connected: true });
    heartbeat.connected = false;
    expect(view.read(10_100)).toEqual({ alive: false, stalledMs: 100, connected: false });
  });
});

describe("what the tools make of a reply that says not alive", () => {
  const reply = { errors: 1, service: "x-1", name: "x", alive: false, stalledMs: 7_250, connected: true };

  it("notAliveReason names the cause; replies without the fields (other languages) are alive as far as it knows", () => {
    expect(notAliveReason(reply)).toBe("its main thread has not run for 7.3 s (a handler that never returns?)");
    expect(notAliveReason({ ...reply, stalledMs: 100, connected: false })).toBe("its own NATS connection is down");
    expect(notAliveReason({ errors: 0, service: "x-1", name: "x" })).toBeUndefined();
    expect(notAliveReason(null)).toBeUndefined();
  });

  it("telestion ls shows it in the instance's row", () => {
    const row = instance(new TextEncoder().encode(JSON.stringify(reply)), 3.2);
    expect(row).toEqual({ name: "x", id: "x-1", errors: 1, replyMs: 3, problem: "not alive: its main thread has not run for 7.3 s (a handler that never returns?)" });
    expect(instance(new TextEncoder().encode("null"), 1).problem).toBe("no name, service, errors in the reply");
  });
});

describe("telestion check", () => {
  it("fails the health rule of a service whose replies say it is not alive, saying why", async () => {
    const { code, stdout } = await runCli(["check", "--json", "--timeout", "5", "--", process.execPath, "--import", TSX, fixture("claims-not-alive.ts")]);
    const report = JSON.parse(stdout) as { rules: Array<{ id: string; status: string; measured: string }> };
    expect(report.rules.find((rule) => rule.id === "health")).toMatchObject({
      status: "FAIL",
      measured: "the reply says the instance is not alive: its main thread has not run for 9.0 s (a handler that never returns?)",
    });
    expect(code).toBe(1);
  }, 60_000);
});
