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
    expect(service.load.read()).toMatchObject({ inFlight: 5, pending: 45, dropped: 0 });
    expect(report.mock.calls.flat().filter((line) => /all 5 handler slots busy/.test(String(line)))).toHaveLength(1);
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
      '[telestion] dropped 1 message(s) on "bounded.drops": 10 waiting for a handler (limits: 10 messages, 67108864 bytes)',
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
