import { createInbox } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../src/index.js";
import { fixture, runTs, type Child } from "./helpers/child.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

async function startTarget(name: string): Promise<Child> {
  const child = runTs(fixture("hostile-target.ts"), bus.env({ SERVICE_NAME: name }));
  await child.waitFor(/is running/);
  return child;
}

/** The `errors` figure of the instance named `name`: every service on the bus answers health, so collect. */
async function healthErrors(client: Awaited<ReturnType<typeof bus.start>>, name: string): Promise<number> {
  const inbox = createInbox();
  const sub = client.nc.subscribe(inbox, { timeout: 500 });
  client.nc.publish("__telestion__/health", new Uint8Array(0), { reply: inbox });
  for await (const msg of sub) {
    const report = msg.json<{ name: string; errors: number }>();
    if (report.name === name) {
      sub.unsubscribe();
      return report.errors;
    }
  }
  throw new Error(`no health reply from ${name}`);
}

describe("hostile input against a service process", () => {
  it("a huge invalid request gets a short error reply (400), a short stderr line, and health goes on", async () => {
    const target = await startTarget("hostile-big-request");
    const client = await bus.start("hostile-big-request-client");
    const request = { command: "run", args: Array.from({ length: 8_800 }, (_, i) => i) };
    expect(JSON.stringify(request).length).toBeGreaterThan(17_000);
    for (const subject of ["cmd.run", "cmd.async"]) {
      const reply = await client.nc.request(subject, new TextEncoder().encode(JSON.stringify(request)), { timeout: 2_000 });
      expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("400");
      expect(reply.headers!.get("Nats-Service-Error").length).toBeLessThan(400);
      expect(reply.data.byteLength).toBeLessThan(500);
    }
    // A client error (400) is the sender's: one throttled line, not one per request.
    await waitUntil(() => /\[telestion\] refused 1 request\(s\) as client errors \(400\)/.test(target.stderr()));
    for (const line of target.stderr().trim().split("\n")) expect(line.length).toBeLessThan(500);
    const health = await client.request("__telestion__/health", undefined, { timeoutMs: 500 });
    expect(health.size).toBeGreaterThan(0);
    target.kill();
    expect(await target.exited).toBe(0);
  });

  it("a reply larger than the server's max_payload becomes a short error reply; the service keeps answering", async () => {
    const target = await startTarget("hostile-big-reply");
    const client = await bus.start("hostile-big-reply-client");
    for (const subject of ["big.reply", "big.async"]) {
      const err = await client.request(subject, undefined, { timeoutMs: 2_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect((err as ServiceError).code).toBe(500);
      expect((err as Error).message).toMatch(/reply of 2097152 bytes exceeds the server's max_payload of 1048576 bytes/);
    }
    expect(await healthErrors(client, "hostile-big-reply")).toBe(2);
    target.kill();
    expect(await target.exited).toBe(0);
  });

  it("error codes: 400 for bad input, the handler's own ServiceError code, 500 for anything else", async () => {
    const target = await startTarget("hostile-codes");
    const client = await bus.start("hostile-codes-client");
    const codeOf = async (subject: string, body: string) =>
      (await client.nc.request(subject, new TextEncoder().encode(body), { timeout: 2_000 })).headers?.get("Nats-Service-Error-Code");
    expect(await codeOf("cmd.run", "not json")).toBe("400");
    expect(await codeOf("sensor.get", '"unknown"')).toBe("404");
    expect(await codeOf("big.reply", "")).toBe("500");
    expect((await client.request("sensor.get", "known")).json()).toEqual({ value: 1 });
    target.kill();
    await target.exited;
  });

  it("control characters in subjects and texts reach stderr escaped", async () => {
    const target = await startTarget("hostile-controls");
    const client = await bus.start("hostile-controls-client");
    // Raw bytes: the runtime's publish would send the text as JSON, its control characters escaped.
    client.nc.publish("hostile.\u001b[31mred\u0007", new TextEncoder().encode("bell\u0007 and \u0000 nul and \u009b csi"));
    await target.waitFor(/cannot handle/);
    const line = target.stderr().split("\n").find((l) => l.includes("cannot handle"))!;
    expect(line).not.toMatch(RAW_CONTROL);
    expect(line).toContain("\\x1b[31mred\\x07");
    expect(line).toContain("\\x00 nul");
    target.kill();
    await target.exited;
  });

  it("a forgotten await is reported on one line and counted; the service goes on", async () => {
    const target = await startTarget("hostile-no-await");
    const client = await bus.start("hostile-no-await-client");
    client.publish("forgot.await", "x");
    await target.waitFor(/unhandled promise rejection/);
    expect(target.stderr()).toMatch(/\[telestion\] unhandled promise rejection \(a missing await\?\): no service answers requests on "nobody\.home"\n/);
    expect(await healthErrors(client, "hostile-no-await")).toBe(1);
    target.kill();
    expect(await target.exited).toBe(0);
  });
});
