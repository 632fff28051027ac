import { createHash } from "node:crypto";
import { describe, expect, expectTypeOf, it, vi } from "vitest";
import { encodeBody, MessageFormatError, ServiceError, type Body, type Handler } from "../src/index.js";
import { LogCategoryError } from "../src/log.js";
import type { Service } from "../src/service.js";
import { logRecorder, replyOf, type TestReply } from "../src/testing.js";
import { useTestBus } from "./helpers/services.js";

describe("logRecorder", () => {
  it("keeps what is logged, in order, bodies as given", () => {
    const recorder = logRecorder();
    const bytes = new Uint8Array([0xff, 0x00]);
    recorder.log("sensors-temperature", { value: 21.5 });
    recorder.log("raw.frames", bytes);
    expect(recorder.logged).toEqual([
      { category: "sensors-temperature", body: { value: 21.5 } },
      { category: "raw.frames", body: bytes },
    ]);
    expect(recorder.logged[1]!.body).toBe(bytes);
  });

  it("refuses what service.log refuses, and records nothing then", () => {
    const recorder = logRecorder();
    expect(() => recorder.log("../etc", {})).toThrow(LogCategoryError);
    expect(() => recorder.log("ok", { n: 1n })).toThrow(/BigInt/);
    expect(recorder.logged).toEqual([]);
  });

  it("stands in for the service where a handler takes Pick<Service, \"log\">", () => {
    expectTypeOf(logRecorder()).toExtend<Pick<Service, "log">>();
  });
});

const bytes = (text: string) => new TextEncoder().encode(text);
/** Bytes compared exactly (by hash), with their start readable when they differ. */
const shown = (data: Uint8Array) =>
  `${data.byteLength} bytes, sha256 ${createHash("sha256").update(data).digest("hex")}: ${JSON.stringify(Buffer.from(data.subarray(0, 100)).toString("latin1"))}`;
const ERROR_HEADERS = ["Nats-Service-Error", "Nats-Service-Error-Code"];

describe("replyOf", () => {
  it("a returned object goes out as JSON", async () => {
    const reply = await replyOf((m) => ({ echo: m.json() }), "echo", { n: 1 });
    expect(reply).toMatchObject({ status: "ok", counted: false, headers: {} });
    expect(reply.code).toBeUndefined();
    expect(reply.error).toBeUndefined();
    expect(reply.text()).toBe('{"echo":{"n":1}}');
    expect(reply.json()).toEqual({ echo: { n: 1 } });
  });

  it("a string as a JSON string, with its quotes", async () => {
    const reply = await replyOf(() => "hi", "greet");
    expect(reply.text()).toBe('"hi"');
    expect(reply.json()).toBe("hi");
  });

  it("a Uint8Array as its raw bytes", async () => {
    const raw = new Uint8Array([0xff, 0x00, 0x9c]);
    const reply = await replyOf(() => raw, "raw");
    expect(reply.status).toBe("ok");
    expect(reply.body).toEqual(raw);
  });

  it("undefined as null", async () => {
    const reply = await replyOf(() => undefined, "nothing");
    expect(reply.text()).toBe("null");
    expect(reply.json()).toBeNull();
  });

  it("a MessageFormatError: 400 with the handler's message, no class name, not counted", async () => {
    const reply = await replyOf((m) => m.json(), "cmd", bytes("hello"));
    expect(reply).toMatchObject({ status: "error", code: 400, counted: false });
    const error = reply.error!;
    expect(error).toMatch(/^body on "cmd" is not valid JSON \(5 bytes/);
    expect(reply.headers).toEqual({ "Nats-Service-Error": error, "Nats-Service-Error-Code": "400" });
    expect(reply.json()).toEqual({ error });
  });

  it("a ServiceError: its own code and message; a 4xx is not counted, a 5xx is", async () => {
    const missing = await replyOf(() => { throw new ServiceError(404, "no sensor named x"); }, "sensor");
    expect(missing).toMatchObject({ status: "error", code: 404, error: "no sensor named x", counted: false });
    expect(missing.headers["Nats-Service-Error-Code"]).toBe("404");
    const down = await replyOf(() => { throw new ServiceError(503, "the sensor bus is down"); }, "sensor");
    expect(down).toMatchObject({ status: "error", code: 503, error: "the sensor bus is down", counted: true });
  });

  it("any other error: 500, counted, the class name kept unless it is plain Error", async () => {
    const plain = await replyOf(() => { throw new Error("disk\nfull"); }, "save");
    expect(plain).toMatchObject({ status: "error", code: 500, error: "disk full", counted: true });
    expect(plain.json()).toEqual({ error: "disk full" });
    const typed = await replyOf(() => { throw new TypeError("x is undefined"); }, "save");
    expect(typed.error).toBe("TypeError: x is undefined");
  });

  it("an async handler: its resolved value, or its rejection", async () => {
    const resolved = await replyOf(async (m) => ({ length: m.size }), "len", bytes("abc"));
    expect(resolved.json()).toEqual({ length: 3 });
    const rejected = await replyOf(async () => Promise.reject(new MessageFormatError("no command")), "cmd");
    expect(rejected).toMatchObject({ status: "error", code: 400, error: "no command" });
  });

  it("a value the runtime cannot send is a 500: not JSON, or past max_payload", async () => {
    const bigint = await replyOf(() => ({ n: 1n }), "big");
    expect(bigint).toMatchObject({ status: "error", code: 500, counted: true });
    expect(bigint.error).toMatch(/^TypeError: cannot encode body as JSON/);
    const large = await replyOf(() => new Uint8Array(11), "large", undefined, { maxPayload: 10 });
    expect(large.error).toBe("the reply of 11 bytes exceeds the server's max_payload of 10 bytes");
    expect((await replyOf(() => new Uint8Array(10), "large", undefined, { maxPayload: 10 })).status).toBe("ok");
  });

  it("the request's headers reach the handler", async () => {
    const reply = await replyOf((m) => m.header("Unit"), "read", undefined, { headers: { Unit: "K" } });
    expect(reply.json()).toBe("K");
  });

  it("a handler that responds itself: the client gets that reply first", async () => {
    const reply = await replyOf((m) => { m.respond({ early: true }); return { late: true }; }, "twice");
    expect(reply.json()).toEqual({ early: true });
  });
});

/** One case each of what a reply handler can do; the bus and replyOf must agree on every one. */
const CASES: Array<{ name: string; handler: Handler; body?: Body }> = [
  { name: "object", handler: (m) => ({ echo: m.json() }), body: { n: 1 } },
  { name: "string", handler: () => "hi" },
  { name: "bytes", handler: () => new Uint8Array([0xff, 0x00, 0x9c]) },
  { name: "undefined", handler: () => undefined },
  { name: "not-json", handler: (m) => m.json(), body: bytes("hello") },
  { name: "service-404", handler: () => { throw new ServiceError(404, "no sensor named x"); } },
  { name: "service-503", handler: async () => { throw new ServiceError(503, "down\nfor now"); } },
  { name: "plain-error", handler: () => { throw new Error("disk full"); } },
  { name: "type-error", handler: async () => { throw new TypeError("x is undefined"); } },
  { name: "thrown-string", handler: () => { throw "just a string"; } },
  { name: "async-value", handler: async (m) => ({ length: m.size }), body: bytes("abc") },
  { name: "bigint", handler: () => ({ n: 1n }) },
  // One byte past nats-server's default max_payload (1 MiB), which replyOf assumes too.
  { name: "too-big", handler: () => new Uint8Array(1024 * 1024 + 1) },
  { name: "responds-itself", handler: (m) => { m.respond("early"); throw new Error("late"); } },
];

describe("replyOf against a real service on a real nats-server", () => {
  const bus = useTestBus();

  it("says, for every case, what a client on the bus receives and whether health counts it", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const service = await bus.start("reply-of");
    for (const { name, handler } of CASES) service.reply(`case.${name}`, handler);
    await service.nc.flush();
    try {
      for (const { name, handler, body } of CASES) {
        const subject = `case.${name}`;
        const counted = service.errors.total;
        const msg = await service.nc.request(subject, encodeBody(body), { timeout: 5_000 });
        const received: Record<string, string> = {};
        for (const key of msg.headers?.keys() ?? []) received[key] = msg.headers!.get(key);
        const predicted: TestReply = await replyOf(handler, subject, body);
        expect({ name, headers: received, body: shown(msg.data) }).toEqual({ name, headers: predicted.headers, body: shown(predicted.body) });
        expect({ name, status: received[ERROR_HEADERS[0]!] === undefined ? "ok" : "error" }).toEqual({ name, status: predicted.status });
        if (predicted.status === "error") expect(received[ERROR_HEADERS[1]!]).toBe(String(predicted.code));
        // The runtime counts a failure as soon as it sends the reply: it is counted when the client has it.
        expect({ name, counted: service.errors.total > counted }).toEqual({ name, counted: predicted.counted });
      }
    } finally {
      vi.restoreAllMocks();
    }
  });
});
