import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { fixture, runTs } from "./helpers/child.js";
import { startNatsServer } from "../../test-support/nats-server.js";
import { startService } from "../src/index.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("handler concurrency and pending limits", () => {
  it("runs at most maxConcurrent async handlers; the rest wait in arrival order and all are handled", async () => {
    const service = await bus.start("bounded", { handlerLimits: { maxConcurrent: 5 } });
    const client = await bus.start("bounded-client");
    const report = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { opened, open } = gate();
    let running = 0;
    let most = 0;
    const started: number[] = [];
    service.subscribe("bounded.work", async (m) => {
      started.push(m.json() as number);
      most = Math.max(most, ++running);
      await opened;
      running--;
    });
    await service.nc.flush();
    for (let i = 0; i < 50; i++) client.publish("bounded.work", i);
    await waitUntil(() => service.load.read().pending === 45);
    expect(service.load.read()).toEqual({
      inFlight: 5,
      pending: 45,
      dropped: 0,
      handlers: { "bounded.work": { inFlight: 5, pending: 45, dropped: 0 } },
    });
    expect(report.mock.calls.flat().filter((line) => /all 5 handler slots for "bounded\.work" busy/.test(String(line)))).toHaveLength(1);
    open();
    await waitUntil(() => started.length === 50 && running === 0);
    report.mockRestore();
    expect(most).toBe(5);
    expect(started).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(service.load.read()).toMatchObject({ inFlight: 0, pending: 0 });
  });

  it("past the pending limit, messages are dropped, counted as errors and reported once", async () => {
    const service = await bus.start("bounded-drops", { handlerLimits: { maxConcurrent: 2, maxPendingMessages: 10 } });
    const client = await bus.start("bounded-drops-client");
    const report = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { opened, open } = gate();
    let handled = 0;
    service.subscribe("bounded.drops", async () => {
      await opened;
      handled++;
    });
    await service.nc.flush();
    for (let i = 0; i < 50; i++) client.publish("bounded.drops", i);
    await waitUntil(() => service.load.read().dropped === 38);
    const dropLines = report.mock.calls.flat().filter((line) => /dropped \d+ message/.test(String(line)));
    expect(dropLines).toEqual([
      '[telestion] dropped 1 message(s) on "bounded.drops": 10 waiting for its handler (limits: 10 messages per handler, 67108864 bytes in all)',
    ]);
    open();
    await waitUntil(() => handled === 12);
    report.mockRestore();
    expect(service.errors.total).toBe(38);
  });

  it("stop() lets waiting messages run before it resolves", async () => {
    const service = await startService({ argv: [], env: bus.env({ SERVICE_NAME: "bounded-stop" }), handlerLimits: { maxConcurrent: 1 } });
    const client = await bus.start("bounded-stop-client");
    let handled = 0;
    service.subscribe("bounded.stop", async () => {
      await sleep(20);
      handled++;
    });
    await service.nc.flush();
    for (let i = 0; i < 10; i++) client.publish("bounded.stop", i);
    await waitUntil(() => service.load.read().pending > 0);
    await service.stop({ timeoutMs: 5_000 });
    expect(handled).toBe(10);
  });
});

describe("per-handler dispatch: a flood on one subject never delays another", () => {
  it("40,000 queued async messages on telemetry.> leave requests on other subjects answered within 0.5 s at p99; all 40,000 are handled", async () => {
    const service = await bus.start("per-handler-flood");
    const client = await bus.start("per-handler-flood-client");
    const FLOOD = 40_000;
    let started = 0;
    let handled = 0;
    // 1,000 at once: the 40,000 take ~2 s to work off, long enough to measure requests meanwhile.
    service.subscribe(
      "telemetry.>",
      async () => {
        started++;
        await sleep(50);
        handled++;
      },
      { maxConcurrent: 1_000 },
    );
    service.reply("status.sync", () => ({ handled }));
    service.reply("status.async", async () => {
      await Promise.resolve();
      return { handled };
    });
    await service.nc.flush();
    for (let i = 0; i < FLOOD; i++) client.publish(`telemetry.sensor${i % 10}`, { i });
    await client.nc.flush();
    // Measured once the service has read the flood: a request sent earlier queues behind it in the
    // connection's socket (NATS delivers a connection's messages in order), which no dispatch can change.
    await waitUntil(() => started + (service.load.read().handlers["telemetry.>"]?.pending ?? 0) === FLOOD, 20_000);

    const latencies: number[] = [];
    let mostWaiting = 0;
    while (handled < FLOOD) {
      for (const subject of ["status.sync", "status.async"]) {
        const sent = performance.now();
        await client.request(subject, undefined, { timeoutMs: 5_000 });
        latencies.push(performance.now() - sent);
        mostWaiting = Math.max(mostWaiting, service.load.read().handlers["telemetry.>"]?.pending ?? 0);
      }
      await sleep(10);
    }
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    // The requests were asked while the flood waited (not after it was worked off).
    expect(mostWaiting).toBeGreaterThan(10_000);
    expect(latencies.length).toBeGreaterThanOrEqual(20);
    expect(p99).toBeLessThan(500);
    await waitUntil(() => service.load.read().inFlight === 0);
    expect(handled).toBe(FLOOD);
    expect(service.load.read()).toMatchObject({ dropped: 0, pending: 0 });
    expect(service.errors.total).toBe(0);
  });

  it("each handler has its own bound (service default or its own option), and waits only behind its own messages", async () => {
    const service = await bus.start("per-handler-bounds", { handlerLimits: { maxConcurrent: 3 } });
    const client = await bus.start("per-handler-bounds-client");
    const report = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { opened, open } = gate();
    const running = { wide: 0, single: 0 };
    const most = { wide: 0, single: 0 };
    const order: number[] = [];
    service.subscribe("bounds.wide", async () => {
      most.wide = Math.max(most.wide, ++running.wide);
      await opened;
      running.wide--;
    });
    service.subscribe(
      "bounds.single",
      async (m) => {
        most.single = Math.max(most.single, ++running.single);
        await opened;
        order.push(m.json() as number);
        running.single--;
      },
      { maxConcurrent: 1 },
    );
    let quick = 0;
    service.subscribe("bounds.quick", async () => void quick++);
    await service.nc.flush();
    for (let i = 0; i < 10; i++) {
      client.publish("bounds.wide", i);
      client.publish("bounds.single", i);
    }
    for (let i = 0; i < 10; i++) client.publish("bounds.quick", i);
    await waitUntil(() => quick === 10);
    const load = service.load.read();
    expect(load.handlers).toEqual({
      "bounds.wide": { inFlight: 3, pending: 7, dropped: 0 },
      "bounds.single": { inFlight: 1, pending: 9, dropped: 0 },
      "bounds.quick": { inFlight: 0, pending: 0, dropped: 0 },
    });
    expect(load).toMatchObject({ inFlight: 4, pending: 16 });
    open();
    await waitUntil(() => order.length === 10 && running.wide === 0);
    report.mockRestore();
    expect(most).toEqual({ wide: 3, single: 1 });
    expect(order).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(() => service.subscribe("bounds.none", () => undefined, { maxConcurrent: 0 })).toThrow(
      "maxConcurrent must be a whole number of at least 1, not 0",
    );
  });

  it("maxPendingBytes bounds the waiting messages of all handlers together; drops are counted per handler", async () => {
    const service = await bus.start("per-handler-bytes", { handlerLimits: { maxConcurrent: 1, maxPendingBytes: 10_000 } });
    const client = await bus.start("per-handler-bytes-client");
    const report = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { opened, open } = gate();
    let handled = 0;
    const blocked = async () => {
      await opened;
      handled++;
    };
    service.subscribe("bytes.a", blocked);
    service.subscribe("bytes.b", blocked);
    await service.nc.flush();
    const kilobyte = new Uint8Array(1_000);
    for (let i = 0; i < 8; i++) client.publish("bytes.a", kilobyte); // 1 runs, 7 wait: 7,000 bytes
    await waitUntil(() => service.load.read().pending === 7);
    for (let i = 0; i < 6; i++) client.publish("bytes.b", kilobyte); // 1 runs, 3 wait (10,000 bytes), 2 dropped
    await waitUntil(() => service.load.read().dropped === 2);
    expect(service.load.read()).toEqual({
      inFlight: 2,
      pending: 10,
      dropped: 2,
      handlers: { "bytes.a": { inFlight: 1, pending: 7, dropped: 0 }, "bytes.b": { inFlight: 1, pending: 3, dropped: 2 } },
    });
    open();
    await waitUntil(() => handled === 12);
    report.mockRestore();
    expect(service.errors.total).toBe(2);
  });
});

describe("slow consumers", () => {
  it("a service the server drops as a slow consumer says so on stderr and counts it in health", async () => {
    // A small pending limit and write deadline, so that a blocked service is cut off quickly.
    const nats = await startNatsServer({
      auth: { user: "telestion", password: "bus-password" },
      config: ["max_pending: 262144", "max_payload: 65536", 'write_deadline: "500ms"'],
    });
    try {
      const env = bus.env({ NATS_URL: nats.url, SERVICE_NAME: "slow-consumer" });
      const service = runTs(fixture("slow-consumer.ts"), env);
      await service.waitFor(/is running/);
      const flood = runTs(fixture("flood-publisher.ts"), { ...env, FLOOD_SUBJECT: "busy.block", FLOOD_BYTES: String(8 * 1024 * 1024) });
      expect(await flood.exited).toBe(0);
      await service.waitFor(/probably as a slow consumer/, 20_000);
      await service.waitFor(/reconnected to NATS/, 20_000);
      await service.waitFor(/health errors: [1-9]/, 20_000);
      service.kill();
      expect(await service.exited).toBe(0);
    } finally {
      await nats.stop();
    }
  });
});
