import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { HANDLER_SLOTS, HandlerLoad, type LoadFigures } from "../src/load.js";

/** What a HandlerLoad built on `buffer` in another thread reads, as the health thread does. */
async function readInThread(buffer: SharedArrayBuffer): Promise<LoadFigures> {
  // As health-thread.ts runs TypeScript in a thread: through tsx's require.
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  const load = fileURLToPath(new URL("../src/load.ts", import.meta.url));
  const code =
    `const { HandlerLoad } = require(${JSON.stringify(tsx)}).require(${JSON.stringify(load)}, ${JSON.stringify(load)});` +
    `const { parentPort, workerData } = require("node:worker_threads");` +
    `parentPort.postMessage(new HandlerLoad(workerData).read());`;
  const worker = new Worker(code, { eval: true, workerData: buffer });
  try {
    return await new Promise<LoadFigures>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe("HandlerLoad", () => {
  it("the service's totals and each handler's figures, by subject, are read by another thread", async () => {
    const load = new HandlerLoad();
    load.inFlight = 7;
    load.pending = 40;
    load.addDropped(3);
    const telemetry = load.claim("telemetry.>");
    const status = load.claim("status.get");
    load.setHandler(telemetry, 7, 40);
    load.addHandlerDropped(telemetry);
    load.addHandlerDropped(telemetry);
    load.addHandlerDropped(status);
    const expected = {
      inFlight: 7,
      pending: 40,
      dropped: 3,
      handlers: { "telemetry.>": { inFlight: 7, pending: 40, dropped: 2 }, "status.get": { inFlight: 0, pending: 0, dropped: 1 } },
    };
    expect(load.read()).toEqual(expected);
    expect(await readInThread(load.buffer)).toEqual(expected);
  });

  it("is bounded: 32 handlers with figures of their own, subjects cut to 128 bytes; a released slot is reused, cleared", () => {
    const load = new HandlerLoad();
    const slots = Array.from({ length: HANDLER_SLOTS }, (_, i) => load.claim(`s${i}`));
    expect(new Set(slots).size).toBe(HANDLER_SLOTS);
    expect(load.claim("one.too.many")).toBe(-1);
    load.setHandler(-1, 5, 5); // a registration without a slot counts only in the totals
    load.setHandler(slots[3]!, 1, 2);
    load.release(slots[3]!);
    const long = `${"ü".repeat(100)}.x`;
    expect(load.claim(long)).toBe(slots[3]);
    const { handlers } = load.read();
    expect(Object.keys(handlers)).toHaveLength(HANDLER_SLOTS);
    expect(handlers["s3"]).toBeUndefined();
    // 64 two-byte characters fill 128 bytes; a character is never cut in half.
    expect(handlers["ü".repeat(64)]).toEqual({ inFlight: 0, pending: 0, dropped: 0 });
  });

  it("keeps both entries of one subject registered twice, and a subject such as __proto__ as a plain key", () => {
    const load = new HandlerLoad();
    load.claim("orders.>");
    const second = load.claim("orders.>");
    load.claim("__proto__");
    load.setHandler(second, 1, 0);
    const { handlers } = load.read();
    expect(JSON.parse(JSON.stringify(handlers))).toEqual({
      "orders.>": { inFlight: 0, pending: 0, dropped: 0 },
      [`orders.> #${second + 1}`]: { inFlight: 1, pending: 0, dropped: 0 },
      ["__proto__"]: { inFlight: 0, pending: 0, dropped: 0 },
    });
  });
});
