import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { ServiceError, type Message } from "../src/index.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();

describe("subscribe: queue groups", () => {
  it("two instances of one SERVICE_NAME share a subject's messages: together all, each some", async () => {
    const a = await bus.start("shared-name");
    const b = await bus.start("shared-name");
    const client = await bus.start("queue-client");
    const got = { a: [] as number[], b: [] as number[] };
    a.subscribe("queue.work", (m) => void got.a.push(m.json() as number));
    b.subscribe("queue.work", (m) => void got.b.push(m.json() as number));
    await Promise.all([a.nc.flush(), b.nc.flush()]);
    for (let i = 0; i < 200; i++) client.publish("queue.work", i);
    await waitUntil(() => got.a.length + got.b.length === 200);
    expect([...got.a, ...got.b].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(got.a.length).toBeGreaterThan(0);
    expect(got.b.length).toBeGreaterThan(0);
  });

  it("with queue: false every instance gets every message", async () => {
    const a = await bus.start("fanout-name");
    const b = await bus.start("fanout-name");
    const client = await bus.start("fanout-client");
    let countA = 0;
    let countB = 0;
    a.subscribe("fanout.all", () => void countA++, { queue: false });
    b.subscribe("fanout.all", () => void countB++, { queue: false });
    await Promise.all([a.nc.flush(), b.nc.flush()]);
    for (let i = 0; i < 50; i++) client.publish("fanout.all", i);
    await waitUntil(() => countA === 50 && countB === 50);
  });

  it("a named queue group is shared across service names", async () => {
    const a = await bus.start("group-a");
    const b = await bus.start("group-b");
    const client = await bus.start("group-client");
    let total = 0;
    a.subscribe("group.work", () => void total++, { queue: "workers" });
    b.subscribe("group.work", () => void total++, { queue: "workers" });
    await Promise.all([a.nc.flush(), b.nc.flush()]);
    for (let i = 0; i < 50; i++) client.publish("group.work", i);
    await waitUntil(() => total === 50);
    await client.request("__telestion__/health"); // a round trip later, still exactly 50
    expect(total).toBe(50);
  });
});

describe("subscribe: any body, failing handlers", () => {
  it("survives fuzzed bodies and throwing handlers, counts the errors, keeps serving", async () => {
    const service = await bus.start("fuzz-target");
    const client = await bus.start("fuzz-client");
    const seen: number[] = [];
    let failures = 0;
    service.subscribe("fuzz.json", (m) => {
      const value = m.json() as { n: number }; // throws for anything that is not JSON
      seen.push(value.n);
    });
    service.subscribe("fuzz.async", async (m) => {
      await Promise.resolve();
      if (m.size % 2 === 0) {
        failures++;
        throw new Error(`even size ${m.size}`);
      }
    });
    service.subscribe("fuzz.weird", () => {
      throw { not: "an Error" };
    });
    await service.nc.flush();

    const bodies = [new Uint8Array(0), new Uint8Array([0xff, 0xfe, 0xfd]), new Uint8Array(randomBytes(1024 * 1024))];
    for (let i = 0; i < 100; i++) bodies.push(new Uint8Array(randomBytes(i * 7)));
    for (const body of bodies) {
      client.publish("fuzz.json", body);
      client.publish("fuzz.async", body);
    }
    client.publish("fuzz.weird", "x");
    client.publish("fuzz.json", { n: 1 });
    await waitUntil(() => seen.length === 1);

    const evenBodies = bodies.filter((b) => b.byteLength % 2 === 0).length;
    const invalidJson = bodies.filter((b) => !isJson(b)).length;
    await waitUntil(() => failures === evenBodies && service.errors.total === invalidJson + evenBodies + 1);

    const health = await client.request("__telestion__/health", undefined, { timeoutMs: 500 });
    expect(health.json()).toHaveProperty("service");
    expect(seen).toEqual([1]);
  });
});

describe("reply: request/reply", () => {
  it("encodes returned values: bytes as is, anything else as JSON (a string too), undefined as null", async () => {
    const service = await bus.start("reply-encoding");
    const client = await bus.start("reply-encoding-client");
    const bytes = new Uint8Array([0, 1, 2, 255]);
    service.reply("enc.bytes", () => bytes);
    service.reply("enc.text", () => "grüß dich");
    service.reply("enc.json", async () => ({ ok: true, list: [1, 2] }));
    service.reply("enc.none", () => undefined);
    service.reply("enc.buffer", () => new Uint8Array([104, 105]).buffer);
    service.reply("enc.echo", (m: Message) => m.data);
    await service.nc.flush();

    expect([...(await client.request("enc.bytes")).data]).toEqual([...bytes]);
    expect((await client.request("enc.text")).text()).toBe('"grüß dich"');
    expect((await client.request("enc.text")).json()).toBe("grüß dich");
    expect((await client.request("enc.json")).json()).toEqual({ ok: true, list: [1, 2] });
    expect((await client.request("enc.none")).text()).toBe("null");
    expect((await client.request("enc.buffer")).text()).toBe("hi");
    const big = new Uint8Array(randomBytes(512 * 1024));
    expect(Buffer.from((await client.request("enc.echo", big)).data).equals(Buffer.from(big))).toBe(true);
    expect((await client.request("enc.echo", { a: 1 })).json()).toEqual({ a: 1 });
  });

  it("answers a failing handler with an error reply, counts it, and keeps serving", async () => {
    const service = await bus.start("reply-failing");
    const client = await bus.start("reply-failing-client");
    service.reply("fail.sync", () => {
      throw new Error("sync trouble\nwith a second line");
    });
    service.reply("fail.async", async () => {
      throw new TypeError("async trouble");
    });
    service.reply("fail.encode", () => ({ big: 10n }));
    service.reply("fail.json", (m) => m.json());
    service.reply("fine", () => "still here");
    await service.nc.flush();

    await expect(client.request("fail.sync")).rejects.toThrow('"fail.sync" answered with an error: sync trouble with a second line');
    await expect(client.request("fail.async")).rejects.toThrow("TypeError: async trouble");
    await expect(client.request("fail.encode")).rejects.toThrow(/cannot encode body as JSON/);
    const err = await client.request("fail.json", new Uint8Array([0xff])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe(400);
    expect((err as ServiceError).message).toMatch(/^"fail.json" answered with an error: body on "fail.json" is not valid JSON/);
    expect((await client.request("fine")).json()).toBe("still here");
    // fail.json's 400 is the sender's error, not the service's.
    expect(service.errors.total).toBe(3);
  });

  it("a client error (4xx) is answered with the handler's own message, and neither counted nor printed as a failure", async () => {
    const service = await bus.start("reply-client-errors");
    const client = await bus.start("reply-client-errors-client");
    const report = vi.spyOn(console, "error").mockImplementation(() => undefined);
    service.reply("client.missing", (m) => {
      throw new ServiceError(404, `no sensor named ${m.text()}`);
    });
    service.reply("client.format", async (m) => m.json());
    service.reply("client.down", () => {
      throw new ServiceError(503, "the sensor bus is down");
    });
    service.subscribe("client.listener", () => {
      throw new ServiceError(400, "a subscription's failure is the service's own");
    });
    await service.nc.flush();

    for (let i = 0; i < 20; i++) {
      const reply = await client.nc.request("client.missing", new TextEncoder().encode("t9"), { timeout: 2_000 });
      expect(reply.headers?.get("Nats-Service-Error")).toBe("no sensor named t9");
      expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("404");
      expect(reply.json()).toEqual({ error: "no sensor named t9" });
    }
    const format = await client.nc.request("client.format", new Uint8Array([0xff]), { timeout: 2_000 });
    expect(format.headers?.get("Nats-Service-Error-Code")).toBe("400");
    expect(format.headers?.get("Nats-Service-Error")).toMatch(/^body on "client.format" is not valid JSON/);
    expect(service.errors.total).toBe(0);

    const down = await client.nc.request("client.down", new Uint8Array(0), { timeout: 2_000 });
    expect(down.headers?.get("Nats-Service-Error")).toBe("the sensor bus is down");
    expect(down.headers?.get("Nats-Service-Error-Code")).toBe("503");
    client.publish("client.listener", "x");
    await waitUntil(() => service.errors.total === 2);
    const lines = report.mock.calls.flat().map(String);
    report.mockRestore();
    expect(lines.filter((line) => line.includes("failed:"))).toEqual([
      '[telestion] handler for "client.down" failed: the sensor bus is down',
      `[telestion] handler for "client.listener" failed: a subscription's failure is the service's own`,
    ]);
    // The 21 refused requests: a throttled line (at most one per 5 s), not one each.
    const refused = lines.filter((line) => line.includes("refused"));
    expect(refused[0]).toBe('[telestion] refused 1 request(s) as client errors (404), latest on "client.missing": no sensor named t9');
    expect(refused.length).toBeLessThan(5);
  });

  it("endpoints(): per registration, in order, its messages, failures (4xx too), last error and time in the handler", async () => {
    const service = await bus.start("reply-endpoints");
    const client = await bus.start("reply-endpoints-client");
    const report = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let seen = 0;
    service.subscribe("endpoints.in", () => void seen++, { queue: false });
    service.reply("endpoints.slow", async (m) => {
      await sleep(50);
      if (m.text() === "404") throw new ServiceError(404, "nothing here");
      if (m.text() === "crash") throw new Error("broken");
      return "ok";
    });
    await service.nc.flush();
    for (let i = 0; i < 10; i++) client.publish("endpoints.in", i);
    for (const body of ["a", "404", "b", "crash"]) await client.request("endpoints.slow", new TextEncoder().encode(body)).catch(() => undefined);
    await waitUntil(() => seen === 10);
    report.mockRestore();
    const [listener, slow, ...rest] = service.endpoints();
    expect(rest).toEqual([]);
    expect(listener).toMatchObject({ subject: "endpoints.in", kind: "subscribe", queue: undefined, numRequests: 10, numErrors: 0, lastError: "" });
    expect(slow).toMatchObject({ subject: "endpoints.slow", kind: "reply", queue: "reply-endpoints", numRequests: 4, numErrors: 2, lastError: "broken" });
    // Four async calls of at least 50 ms each, timed until settled (timer granularity: 1 ms either way).
    expect(slow!.processingTimeNs).toBeGreaterThanOrEqual(4 * 49e6);
    expect(slow!.processingTimeNs).toBeLessThan(4 * 2_000e6);
    expect(listener!.processingTimeNs).toBeGreaterThan(0);
    expect(listener!.processingTimeNs).toBeLessThan(slow!.processingTimeNs);
  });

  it("a plain NATS client sees the error reply as headers and a JSON body", async () => {
    const service = await bus.start("reply-raw");
    const client = await bus.start("reply-raw-client");
    service.reply("raw.fail", () => {
      throw new Error("nope");
    });
    await service.nc.flush();
    const reply = await client.nc.request("raw.fail", new Uint8Array(0), { timeout: 1_000 });
    expect(reply.headers?.get("Nats-Service-Error")).toBe("nope");
    expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("500");
    expect(reply.json()).toEqual({ error: "nope" });
  });

  it("explains a request nobody answers, and one that times out", async () => {
    const service = await bus.start("reply-absent");
    await expect(service.request("nobody.here")).rejects.toThrow('no service answers requests on "nobody.here"');
    service.subscribe("silent.here", () => undefined);
    await service.nc.flush();
    await expect(service.request("silent.here", "x", { timeoutMs: 200 })).rejects.toThrow('no reply on "silent.here" within 200 ms');
  });

  it("sends headers with publish and request", async () => {
    const service = await bus.start("reply-headers");
    service.reply("headers.echo", (m) => m.header("X-Trace") ?? "none");
    await service.nc.flush();
    const reply = await service.request("headers.echo", "", { headers: { "X-Trace": "t-1" } });
    expect(reply.json()).toBe("t-1");
  });
});

function isJson(body: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder().decode(body));
    return true;
  } catch {
    return false;
  }
}
