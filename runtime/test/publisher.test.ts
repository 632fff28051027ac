import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startService, subjectProblem, type Message, type Service } from "../src/index.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();

afterEach(() => vi.restoreAllMocks());

/** What a subscriber on a connection of its own receives on `subject`, as JSON values. */
async function listen(client: Service, subject: string): Promise<unknown[]> {
  const got: unknown[] = [];
  client.subscribe(subject, (m: Message) => void got.push(m.json()), { queue: false });
  await client.nc.flush();
  return got;
}

/** console.error's lines from now on (the runtime reports there), still printed. */
function stderrLines(): string[] {
  const lines: string[] = [];
  const print = console.error.bind(console);
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    lines.push(args.join(" "));
    print(...args);
  });
  return lines;
}

describe("publishEvery: timing", () => {
  it("keeps its rate without drift: 100 ± 2 messages in 10 s at 100 ms, the late ticks not later than the early ones", async () => {
    const service = await bus.start("pub-rate");
    const client = await bus.start("pub-rate-client");
    const got = await listen(client, "pub.rate");
    const lateness: number[] = [];
    const t0 = performance.now();
    let n = 0;
    const publisher = service.publishEvery("pub.rate", 100, () => {
      n++;
      lateness.push(performance.now() - t0 - n * 100);
      return { n };
    });
    await sleep(10_050);
    await publisher.stop();
    const elapsed = performance.now() - t0;
    await client.request("__telestion__/health"); // a round trip after the last publish
    await service.nc.flush();
    await waitUntil(() => got.length === publisher.stats().published);

    expect(Math.abs(got.length - 100)).toBeLessThanOrEqual(2);
    // Every tick due until the stop was called (no tick may be lost to drift or load).
    expect(got.length + publisher.stats().skipped).toBeGreaterThanOrEqual(Math.floor(elapsed / 100) - 1);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => ({ n: i + 1 })));
    // setInterval-style drift adds each tick's lateness to the next (≈1 ms a tick, 100 ms by the end);
    // a drift-free timer's last ticks are as punctual as its first.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(lateness.slice(-10))).toBeLessThan(25);
    expect(publisher.stats()).toMatchObject({ subject: "pub.rate", intervalMs: 100, errors: 0, running: false });
  }, 30_000);

  it("skips the ticks that fall due during a slow call instead of piling them up: never two calls at once", async () => {
    const lines = stderrLines();
    const service = await bus.start("pub-slow");
    const client = await bus.start("pub-slow-client");
    const got = await listen(client, "pub.slow");
    const t0 = performance.now();
    let running = 0;
    let mostAtOnce = 0;
    const slots: number[] = [];
    const publisher = service.publishEvery("pub.slow", 100, async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      slots.push(Math.round((performance.now() - t0) / 100));
      await sleep(250);
      running--;
      return slots.length;
    });
    await sleep(2_000);
    await waitUntil(() => running === 1); // stop during a call: the slots it covers are not counted yet
    await publisher.stop();
    await service.nc.flush();
    const stats = publisher.stats();

    expect(mostAtOnce).toBe(1);
    expect(stats.ticks).toBe(slots.length);
    expect(stats.ticks).toBeGreaterThanOrEqual(5); // ≈ 2000 / 300 + 1
    expect(stats.ticks).toBeLessThanOrEqual(9);
    // Each skipped tick is one slot between two calls; the slots during the last call (stopped) are not counted.
    expect(stats.skipped).toBe(slots.at(-1)! - slots.length);
    expect(stats.skipped).toBeGreaterThanOrEqual(2 * (stats.ticks - 1));
    // A call starts at a slot, never in between: tick 1 at 100 ms, then every third slot or later.
    expect(slots[0]).toBe(1);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(3);
    await waitUntil(() => got.length === stats.ticks);
    expect(stats.published).toBe(stats.ticks);
    // One throttled line, not one per skipped tick.
    const skipLines = lines.filter((line) => line.includes('publisher on "pub.slow" skipped'));
    expect(skipLines).toHaveLength(1);
    expect(skipLines[0]).toMatch(/skipped [23] tick\(s\) so far: calls never overlap, and the latest call took [23]\d\d ms with an interval of 100 ms; make the call faster or the interval longer/);
  }, 30_000);

  it("publishes nothing for a tick whose call returns undefined, and JSON for a value", async () => {
    const service = await bus.start("pub-undefined");
    const client = await bus.start("pub-undefined-client");
    const got = await listen(client, "pub.maybe");
    let n = 0;
    const publisher = service.publishEvery("pub.maybe", 20, () => (++n % 2 === 0 ? `reading ${n}` : undefined));
    await waitUntil(() => publisher.stats().ticks >= 6);
    await publisher.stop();
    await client.request("__telestion__/health");
    await service.nc.flush();
    await waitUntil(() => got.length === publisher.stats().published);
    expect(got.slice(0, 3)).toEqual(["reading 2", "reading 4", "reading 6"]);
    expect(publisher.stats().published).toBe(Math.floor(publisher.stats().ticks / 2));
  });
});

describe("publishEvery: errors", () => {
  it("counts a throwing or rejecting call, a value JSON cannot carry and one over max_payload in health; the timer goes on", async () => {
    const lines = stderrLines();
    const service = await bus.start("pub-errors");
    const client = await bus.start("pub-errors-client");
    const got = await listen(client, "pub.errors");
    const before = service.errors.total;
    let n = 0;
    const publisher = service.publishEvery("pub.errors", 30, async () => {
      n++;
      if (n === 1) throw new Error("sensor offline");
      if (n === 2) return Promise.reject(new TypeError("bad reading"));
      if (n === 3) return { value: 10n }; // BigInt: not JSON
      if (n === 4) return new Uint8Array(service.nc.info!.max_payload + 1);
      return { n };
    });
    await waitUntil(() => publisher.stats().ticks >= 8);
    await publisher.stop();
    await client.request("__telestion__/health");
    await service.nc.flush();
    const stats = publisher.stats();
    await waitUntil(() => got.length === stats.published);

    expect(stats.errors).toBe(4);
    expect(service.errors.total - before).toBe(4);
    expect(service.health().errors).toBeGreaterThanOrEqual(4);
    expect(stats.lastError).toMatch(/exceeds the server's max_payload of \d+ bytes/);
    expect(stats.published).toBe(stats.ticks - 4);
    expect(got[0]).toEqual({ n: 5 });
    // The first failure printed at once on one line; the next ones within 5 s wait for the throttled line.
    expect(lines.filter((line) => line.includes('publisher on "pub.errors" failed'))).toEqual(['[telestion] publisher on "pub.errors" failed: sensor offline']);
  });

  it("refuses a bad subject or interval with one line, and a service without NATS", async () => {
    const service = await bus.start("pub-refuse");
    expect(() => service.publishEvery("sensors.*", 100, () => 1)).toThrow(
      'publish subject "sensors.*" contains a wildcard; wildcards (* and >) only work for subscriptions, so publish on a concrete subject such as "sensors.example"',
    );
    expect(() => service.publishEvery("sensors.>", 100, () => 1)).toThrow(/publish subject "sensors\.>" contains a wildcard/);
    expect(() => service.publishEvery("__telestion__/health", 100, () => 1)).toThrow(/belongs to the runtime/);
    expect(() => service.publishEvery("a..b", 100, () => 1)).toThrow(/empty token/);
    expect(() => service.publishEvery("a b", 100, () => 1)).toThrow(/whitespace/);
    expect(() => service.publishEvery("pub.ok", 0, () => 1)).toThrow('publishEvery\'s interval for "pub.ok" is 0; give a number of milliseconds from 1 to 2147483647');
    expect(() => service.publishEvery("pub.ok", 2 ** 31, () => 1)).toThrow(/from 1 to 2147483647/);
    expect(() => service.publishEvery("pub.ok", Number.NaN, () => 1)).toThrow(/give a number of milliseconds/);
    expect(subjectProblem("sensors.temperature", "publish")).toBeUndefined();
    expect(service.publishers()).toEqual([]);

    const offline = await startService({ nats: false, argv: [], env: bus.env({ SERVICE_NAME: "pub-offline" }) });
    try {
      expect(() => offline.publishEvery("pub.ok", 100, () => 1)).toThrow(/NATS is disabled/);
    } finally {
      await offline.stop();
    }
  });
});

describe("publishEvery: figures", () => {
  it("service.publishers() lists each running publisher's figures; a stopped one leaves the list", async () => {
    const service = await bus.start("pub-figures");
    const a = service.publishEvery("pub.figures.a", 20, () => 1);
    const b = service.publishEvery("pub.figures.b", 20, () => undefined);
    await waitUntil(() => b.stats().ticks >= 3 && a.stats().ticks >= 3);
    const listed = service.publishers();
    expect(listed.map((p) => p.subject)).toEqual(["pub.figures.a", "pub.figures.b"]);
    expect(listed[0]).toMatchObject({ intervalMs: 20, errors: 0, lastError: "" }); // skipped depends on the load: not asserted
    expect(listed[0]!.published).toBe(listed[0]!.ticks);
    expect(listed[1]!.published).toBe(0);
    await a.stop();
    const ticks = a.stats().ticks;
    expect(service.publishers().map((p) => p.subject)).toEqual(["pub.figures.b"]);
    await sleep(100);
    expect(a.stats().ticks).toBe(ticks);
  });
});

describe("publishEvery: shutdown", () => {
  it("stop() starts no call; a call running then finishes within the timeout and its value is published before the drain", async () => {
    const service = await bus.start("pub-stop");
    const client = await bus.start("pub-stop-client");
    const got = await listen(client, "pub.stop");
    let calls = 0;
    let inSlowCall = false;
    let slowDone = 0;
    service.publishEvery("pub.stop", 50, async () => {
      calls++;
      if (calls < 3) return { calls };
      inSlowCall = true;
      await sleep(400);
      slowDone = performance.now();
      return { calls, last: true };
    });
    await waitUntil(() => inSlowCall);
    await service.stop({ timeoutMs: 5_000 });
    const stopped = performance.now();
    const callsAtStop = calls;

    expect(slowDone).toBeGreaterThan(0);
    expect(stopped).toBeGreaterThanOrEqual(slowDone); // stop() waited for the call
    await waitUntil(() => got.length === 3);
    expect(got).toEqual([{ calls: 1 }, { calls: 2 }, { calls: 3, last: true }]);
    await sleep(200); // four intervals: no call after stop()
    expect(calls).toBe(callsAtStop);
    expect(() => service.publishEvery("pub.stop.again", 50, () => 1)).toThrow(/stopping|NATS/);
  });

  it("a call still running when stop()'s wait ends is not published, though NATS is still open until the drain", async () => {
    const lines = stderrLines();
    const service = await bus.start("pub-late");
    const client = await bus.start("pub-late-client");
    const got = await listen(client, "pub.late");
    let finish: ((value: unknown) => void) | undefined;
    let calls = 0;
    const publisher = service.publishEvery("pub.late", 50, () => {
      calls++;
      if (calls === 1) return { calls };
      return new Promise((resolve) => (finish = resolve));
    });
    // onStop hooks run after the publishers' wait ended and before the drain: the connection is open,
    // so a publish from the late call would reach the subscriber here if the runtime let it through.
    let connectionOpen = false;
    service.onStop(async () => {
      connectionOpen = !service.nc.isClosed() && !service.nc.isDraining();
      finish!({ late: true });
      await sleep(50);
      await service.nc.flush();
    });
    await waitUntil(() => finish !== undefined);
    const before = service.errors.total;
    await service.stop({ timeoutMs: 200 });
    await client.request("__telestion__/health"); // a round trip on the subscriber's side too
    await sleep(100);

    expect(connectionOpen).toBe(true);
    expect(got).toEqual([{ calls: 1 }]);
    expect(publisher.stats()).toMatchObject({ ticks: 2, published: 1, errors: 0 });
    expect(service.errors.total).toBe(before); // dropped on purpose, not an error
    expect(lines).toContain('[telestion] publisher on "pub.late" still running after 200 ms; stopping anyway, its value will not be published');
  });
});
