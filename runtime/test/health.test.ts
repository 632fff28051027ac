import { setTimeout as sleep } from "node:timers/promises";
import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { HEALTH_SUBJECTS } from "../src/index.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();

describe("health", () => {
  it.each(HEALTH_SUBJECTS)("answers on %s with errors, service id and name", async (subject) => {
    const service = await bus.start("health-subjects");
    const client = await bus.start("health-client");
    const seen = await collectHealth(client.nc, 1_000, subject);
    expect(seen).toContainEqual({ errors: 0, service: service.serviceId, name: "health-subjects" });
  });

  it("reports the SERVICE_ID from the configuration", async () => {
    const client = await bus.start("health-id-client");
    const service = await bus.start("health-fixed", { env: bus.env({ SERVICE_NAME: "health-fixed", SERVICE_ID: "fixed-id-7" }) });
    const seen = await collectHealth(client.nc, 1_000);
    expect(seen).toContainEqual({ errors: 0, service: "fixed-id-7", name: "health-fixed" });
    expect(service.serviceId).toBe("fixed-id-7");
  });

  it("counts handler errors as recent errors", async () => {
    const service = await bus.start("health-errors");
    const client = await bus.start("health-errors-client");
    service.subscribe("health.errors.fail", () => {
      throw new Error("expected failure");
    });
    await service.nc.flush(); // the subscription is registered at the server
    for (let i = 0; i < 3; i++) client.publish("health.errors.fail", "x");
    await client.nc.flush();
    await waitUntil(() => service.errors.recent === 3);
    const seen = await collectHealth(client.nc, 1_000);
    expect(seen).toContainEqual({ errors: 3, service: service.serviceId, name: "health-errors" });
  });

  it("answers within 0.5 s while handlers are busy with async work", async () => {
    const service = await bus.start("health-busy");
    const client = await bus.start("health-busy-client");
    let started = 0;
    service.subscribe("health.busy.work", async () => {
      started++;
      await sleep(2_000);
    });
    await service.nc.flush();
    for (let i = 0; i < 200; i++) client.publish("health.busy.work", { i });
    await waitUntil(() => started === 200);
    for (let i = 0; i < 5; i++) {
      const reply = await client.request(HEALTH_SUBJECTS[0], undefined, { timeoutMs: 500 });
      expect(reply.json()).toHaveProperty("service");
    }
  });
});

/** Every health reply that arrives within `ms` (all instances answer; no queue group). */
async function collectHealth(nc: NatsConnection, ms: number, subject: string = HEALTH_SUBJECTS[0]): Promise<unknown[]> {
  const inbox = createInbox();
  const replies: unknown[] = [];
  const sub = nc.subscribe(inbox, { callback: (_err, msg) => void replies.push(msg.json()) });
  nc.publish(subject, new Uint8Array(0), { reply: inbox });
  await sleep(ms);
  sub.unsubscribe();
  return replies;
}

describe("data directories", () => {
  it("gives DATA_DIR absolute and creates DATA_DIR/SERVICE_NAME on first use", async () => {
    const { mkdtempSync, existsSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dataDir = mkdtempSync(join(tmpdir(), "data-dir-"));
    const service = await bus.start("with-data", { env: bus.env({ SERVICE_NAME: "with-data", DATA_DIR: dataDir }) });
    expect(service.dataDir).toBe(dataDir);
    expect(existsSync(join(dataDir, "with-data"))).toBe(false);
    expect(service.serviceDataDir).toBe(join(dataDir, "with-data"));
    expect(existsSync(join(dataDir, "with-data"))).toBe(true);
  });
});
