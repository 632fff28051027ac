import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll } from "vitest";
import { startNatsServer, type NatsServer } from "../../../test-support/nats-server.js";
import { startService, type Service, type StartOptions } from "../../src/index.js";

export interface TestBus {
  nats: NatsServer;
  env(overrides?: Record<string, string>): Record<string, string>;
  /** Starts a service against this file's server; it is stopped after the file's tests. */
  start(serviceName: string, options?: StartOptions): Promise<Service>;
}

/** One nats-server with user/password per test file, and services that are cleaned up after it. */
export function useTestBus(): TestBus {
  const services: Service[] = [];
  const bus = {
    nats: undefined as unknown as NatsServer,
    env(overrides: Record<string, string> = {}) {
      return {
        NATS_URL: bus.nats.url,
        NATS_USER: "telestion",
        NATS_PASSWORD: "bus-password",
        SERVICE_NAME: "test-service",
        DATA_DIR: "/tmp/telestion-runtime-test",
        ...overrides,
      };
    },
    async start(serviceName: string, options: StartOptions = {}) {
      const service = await startService({ argv: [], env: bus.env({ SERVICE_NAME: serviceName }), ...options });
      services.push(service);
      return service;
    },
  };
  beforeAll(async () => {
    bus.nats = await startNatsServer({ auth: { user: "telestion", password: "bus-password" } });
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop({ timeoutMs: 1_000 })));
    await bus.nats.stop();
  });
  return bus;
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
