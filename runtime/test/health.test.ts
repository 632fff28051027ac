import { setTimeout as sleep } from "node:timers/promises";
import { connect, createInbox, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../../test-support/nats-server.js";
import { HEALTH_SUBJECTS, RecentErrors, startService, type HealthReport, type Service } from "../src/index.js";
import { serveHealth } from "../src/health.js";
import { HandlerLoad } from "../src/load.js";
import { Heartbeat } from "../src/liveness.js";
import { fixture, runTs } from "./helpers/child.js";
import { waitUntil } from "./helpers/services.js";

const AUTH = { user: "telestion", password: "bus-password" };
// objectContaining: load.ts may report more figures (per handler) than these three.
const IDLE = expect.objectContaining({ inFlight: 0, pending: 0, dropped: 0 });
/** What a running instance adds to the seed's fields: its main thread beat within the last 250 ms or so. */
const ALIVE = { alive: true, stalledMs: expect.any(Number), connected: true };
let nats: NatsServer;
let client: NatsConnection;
const services: Service[] = [];

// Monitoring on, so that a test can see at the server when the health thread has taken over.
beforeAll(async () => {
  nats = await startNatsServer({ auth: AUTH, monitor: true });
  client = await connect({ servers: nats.url, user: AUTH.user, pass: AUTH.password });
});
afterAll(async () => {
  await Promise.all(services.map((service) => service.stop({ timeoutMs: 1_000 })));
  await client.close();
  await nats.stop();
});

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return { NATS_URL: nats.url, NATS_USER: AUTH.user, NATS_PASSWORD: AUTH.password, SERVICE_NAME: "health-test", DATA_DIR: "/tmp/telestion-runtime-test", ...overrides };
}

async function start(serviceName: string, overrides: Record<string, string> = {}): Promise<Service> {
  const service = await startService({ argv: [], env: env({ SERVICE_NAME: serviceName, ...overrides }) });
  services.push(service);
  return service;
}

interface Connz {
  connections: Array<{ name?: string; subscriptions_list?: string[] }>;
}

/** The health subjects each connection of `serviceId` holds at the server: its own and its health thread's. */
async function healthSubscriptions(serviceId: string): Promise<{ main: number; thread: number | undefined }> {
  const connz = (await (await fetch(`${nats.monitorUrl}/connz?subs=1`)).json()) as Connz;
  const count = (name: string) => {
    const connection = connz.connections.find((c) => c.name === name);
    return connection ? (connection.subscriptions_list ?? []).filter((s) => (HEALTH_SUBJECTS as readonly string[]).includes(s)).length : undefined;
  };
  return { main: count(serviceId) ?? 0, thread: count(`${serviceId} (health)`) };
}

/** Waits until the health thread of `serviceId` answers and the service's own connection no longer does. */
async function handedOver(serviceId: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await healthSubscriptions(serviceId);
    if (state.main === 0 && state.thread === 2) return;
    if (Date.now() > deadline) throw new Error(`no hand-over to the health thread within ${timeoutMs} ms: ${JSON.stringify(state)}`);
    await sleep(20);
  }
}

/** Every health reply of `serviceId` within `ms`, with its latency (all instances answer; no queue group). */
async function collectHealth(serviceId: string, ms: number, subject: string = HEALTH_SUBJECTS[0]): Promise<Array<{ report: HealthReport; ms: number }>> {
  const inbox = createInbox();
  const replies: Array<{ report: HealthReport; ms: number }> = [];
  const sent = performance.now();
  const sub = client.subscribe(inbox, {
    callback: (_err, msg) => {
      const report = msg.json<HealthReport>();
      if (report.service === serviceId) replies.push({ report, ms: performance.now() - sent });
    },
  });
  client.publish(subject, new Uint8Array(0), { reply: inbox });
  await sleep(ms);
  sub.unsubscribe();
  return replies;
}

describe("health", () => {
  it.each(HEALTH_SUBJECTS)("answers on %s with errors, service id, name and load, first on the main thread", async (subject) => {
    const service = await start("health-subjects");
    // startService resolved: answered at once, before the thread has taken over.
    const replies = await collectHealth(service.serviceId, 300, subject);
    expect(replies[0]?.report).toEqual({ errors: 0, service: service.serviceId, name: "health-subjects", ...ALIVE, load: IDLE });
    expect(service.health()).toEqual({ errors: 0, service: service.serviceId, name: "health-subjects", ...ALIVE, load: IDLE });
  });

  it("hands over to its thread, which answers once per request on both subjects", async () => {
    const service = await start("health-thread", { SERVICE_ID: "fixed-id-7" });
    expect(service.serviceId).toBe("fixed-id-7");
    await handedOver("fixed-id-7");
    for (const subject of HEALTH_SUBJECTS) {
      const replies = await collectHealth("fixed-id-7", 300, subject);
      expect(replies.map((r) => r.report)).toEqual([{ errors: 0, service: "fixed-id-7", name: "health-thread", ...ALIVE, load: IDLE }]);
    }
  });

  it("counts handler errors as recent errors, also in the thread's replies", async () => {
    const service = await start("health-errors");
    service.subscribe("health.errors.fail", () => {
      throw new Error("expected failure");
    });
    await service.nc.flush(); // the subscription is registered at the server
    await handedOver(service.serviceId);
    for (let i = 0; i < 3; i++) client.publish("health.errors.fail", "x");
    await client.flush();
    await waitUntil(() => service.errors.recent === 3);
    const [reply] = await collectHealth(service.serviceId, 300);
    expect(reply?.report).toEqual({ errors: 3, service: service.serviceId, name: "health-errors", ...ALIVE, load: IDLE });
  });

  it("reports a backlog of async handlers in its load figures", async () => {
    const service = await start("health-backlog");
    let started = 0;
    service.subscribe("health.backlog.work", async () => {
      started++;
      await sleep(2_000);
    });
    await service.nc.flush();
    await handedOver(service.serviceId);
    for (let i = 0; i < 200; i++) client.publish("health.backlog.work", `${i}`);
    await client.flush();
    await waitUntil(() => started > 0);
    const [busy] = await collectHealth(service.serviceId, 300);
    expect(busy!.ms).toBeLessThan(500);
    const { inFlight, pending } = busy!.report.load;
    expect(inFlight + pending).toBe(200);
    expect(inFlight).toBeGreaterThan(0);
  });

  it("answers from its thread within 0.5 s, alive, while a handler blocks the main thread for 4 s", async () => {
    const child = runTs(fixture("busy-service.ts"), env({ SERVICE_NAME: "health-blocked", SERVICE_ID: "blocked-1" }));
    await child.waitFor(/ready blocked-1/);
    await handedOver("blocked-1");
    client.publish("test.block", "4000");
    await client.flush();
    await sleep(200); // the service's main thread is busy now
    const stalls: number[] = [];
    for (let i = 0; i < 6; i++) {
      const replies = await collectHealth("blocked-1", 500);
      expect(replies.map((r) => r.report.service)).toEqual(["blocked-1"]);
      expect(replies[0]!.ms).toBeLessThan(500);
      // Busy for less than the stall bound (5 s) is no hang.
      expect(replies[0]!.report).toMatchObject({ alive: true, connected: true, errors: 0 });
      stalls.push(replies[0]!.report.stalledMs);
    }
    // The heartbeat saw the block (~2.7 s into it by the last request): a stall this long is measured, not missed.
    expect(Math.max(...stalls)).toBeGreaterThan(2_000);
    client.publish("test.stop", "");
    // stop() ends the thread: nothing keeps the process alive, it exits by itself.
    await child.waitFor(/stopped/);
    expect(await child.exited).toBe(0);
    expect(child.stderr()).toBe("");
  });

  it("ends its thread on stop()", async () => {
    const service = await startService({ argv: [], env: env({ SERVICE_NAME: "health-stop" }) });
    await handedOver(service.serviceId);
    await service.stop();
    const state = await healthSubscriptions(service.serviceId);
    expect(state).toEqual({ main: 0, thread: undefined });
  });

  it("answers on the main thread, with one line on stderr, when the thread cannot start", async () => {
    const nc = await connect({ servers: nats.url, user: AUTH.user, pass: AUTH.password, name: "fallback-1" });
    const lines: string[] = [];
    // The thread gets an address where no server listens; the main thread's connection is fine.
    const config = { NATS_URL: "nats://127.0.0.1:1", NATS_USER: AUTH.user, NATS_PASSWORD: AUTH.password, SERVICE_NAME: "health-fallback", DATA_DIR: "/tmp" };
    const source = { errors: new RecentErrors(), load: new HandlerLoad(), heartbeat: new Heartbeat(), serviceId: "fallback-1", serviceName: "health-fallback" };
    const responder = serveHealth(nc, source, config, (line) => lines.push(line));
    await waitUntil(() => lines.length > 0, 10_000);
    expect(lines).toEqual([expect.stringMatching(/^\[telestion\] health is answered on the main thread: the health thread did not start \(.*cannot reach NATS server at nats:\/\/127\.0\.0\.1:1/)]);
    expect(lines[0]).not.toContain(AUTH.password);
    const replies = await collectHealth("fallback-1", 300);
    expect(replies.map((r) => r.report)).toEqual([{ errors: 0, service: "fallback-1", name: "health-fallback", ...ALIVE, load: IDLE }]);
    await responder.stop();
    await nc.close();
  });
});

describe("data directories", () => {
  it("gives DATA_DIR absolute and creates DATA_DIR/SERVICE_NAME on first use", async () => {
    const { mkdtempSync, existsSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dataDir = mkdtempSync(join(tmpdir(), "data-dir-"));
    const service = await start("with-data", { DATA_DIR: dataDir });
    expect(service.dataDir).toBe(dataDir);
    expect(existsSync(join(dataDir, "with-data"))).toBe(false);
    expect(service.serviceDataDir).toBe(join(dataDir, "with-data"));
    expect(existsSync(join(dataDir, "with-data"))).toBe(true);
  });
});
