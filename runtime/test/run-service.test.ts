import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { fixture, runTs } from "./helpers/child.js";
import { useTestBus } from "./helpers/services.js";

const bus = useTestBus();
const REQUIRED = ["NATS_URL", "NATS_USER", "NATS_PASSWORD", "SERVICE_NAME", "DATA_DIR"];

describe("runService: startup errors", () => {
  it.each(REQUIRED)("exits 1 with one line when %s is missing", async (key) => {
    const child = runTs(fixture("echo-service.ts"), { ...bus.env(), [key]: undefined });
    expect(await child.exited).toBe(1);
    const stderr = child.stderr().trim();
    expect(stderr.split("\n")).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^error: ConfigError: missing configuration: ${key}\\.`));
    expect(stderr).not.toContain("bus-password");
    expect(child.stdout()).toBe("");
  });

  it("exits 1 with one line for refused credentials, never showing the password", async () => {
    const child = runTs(fixture("echo-service.ts"), bus.env({ NATS_PASSWORD: "not-the-password" }));
    expect(await child.exited).toBe(1);
    expect(child.stderr().trim()).toMatch(/^error: NatsConnectError: NATS server at .* refused the credentials of user "telestion"[^\n]*$/);
    expect(child.stderr()).not.toContain("not-the-password");
  });

  it("exits 1 with one line when main throws", async () => {
    const child = runTs(fixture("failing-main.ts"), bus.env({ SERVICE_NAME: "failing-main" }));
    expect(await child.exited).toBe(1);
    expect(child.stderr().trim()).toBe("error: main could not open its device");
  });

  it("prints the stack only when DEBUG is set", async () => {
    const child = runTs(fixture("echo-service.ts"), { ...bus.env({ DEBUG: "1" }), DATA_DIR: undefined });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toMatch(/^error: ConfigError: missing configuration: DATA_DIR\..*\n.*\n\s+at /s);
  });
});

describe("runService: configuration from .env", () => {
  it("cp .env.example .env && npm start: the variables come from .env in the working directory, the environment wins", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dotenv-service-"));
    const vars = bus.env({ SERVICE_NAME: "from-dotenv", DATA_DIR: join(dir, "data") });
    writeFileSync(join(dir, ".env"), Object.entries(vars).map(([key, value]) => `${key}=${value}`).join("\n") + "\n");
    const child = runTs(fixture("echo-service.ts"), { SERVICE_NAME: "from-environment" }, [], dir);
    await child.waitFor(/is running \(SERVICE_NAME from-environment\)/);
    child.kill();
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toContain("bus-password");
  });
});

describe("runService: running and stopping", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s with a request in flight: the request is answered, exit 0", async (signal) => {
    const child = runTs(fixture("echo-service.ts"), bus.env({ SERVICE_NAME: `stop-${signal}` }));
    await child.waitFor(/^ready /m);
    const client = await bus.start(`stop-client-${signal}`);
    const reply = client.request("test.slow", "700", { timeoutMs: 5_000 });
    await child.waitFor(/slow request started: 700/);
    child.kill(signal);
    expect((await reply).text()).toBe("done after 700 ms");
    expect(await child.exited).toBe(0);
    expect(child.stderr()).toContain(`${signal}: stopping`);
  });

  it("one Ctrl-C relayed twice (as tsx watch does) is one request: the in-flight request is still answered", async () => {
    const child = runTs(fixture("echo-service.ts"), bus.env({ SERVICE_NAME: "double-sigint" }));
    await child.waitFor(/is running/);
    const client = await bus.start("double-sigint-client");
    const reply = client.request("test.slow", "500", { timeoutMs: 5_000 });
    await child.waitFor(/slow request started: 500/);
    child.kill("SIGINT");
    child.kill("SIGINT");
    expect((await reply).text()).toBe("done after 500 ms");
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toContain("exiting without waiting");
  });

  it("says it is running only once the server has its subscriptions: a request right after the line is answered", async () => {
    const client = await bus.start("readiness-client");
    for (let i = 0; i < 3; i++) {
      const child = runTs(fixture("echo-service.ts"), bus.env({ SERVICE_NAME: `readiness-${i}` }));
      await child.waitFor(/is running \(SERVICE_NAME readiness-\d\)/);
      expect((await client.request("test.echo", "first", { timeoutMs: 1_000 })).text()).toBe("first");
      child.kill();
      expect(await child.exited).toBe(0);
    }
  });

  it("resubscribes after the nats-server restarts", async () => {
    const child = runTs(fixture("echo-service.ts"), bus.env({ SERVICE_NAME: "reconnecting" }));
    await child.waitFor(/is running/);
    await bus.nats.restart();
    await child.waitFor(/reconnected to NATS/, 20_000);
    expect(child.stderr()).toMatch(/disconnected from NATS at (nats:\/\/)?127\.0\.0\.1:\d+; reconnecting/);
    const client = await bus.start("reconnect-client");
    let reply;
    for (let attempt = 0; attempt < 50 && !reply; attempt++) {
      reply = await client.request("test.echo", "again", { timeoutMs: 500 }).catch(() => undefined);
      if (!reply) await sleep(100);
    }
    expect(reply?.text()).toBe("again");
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });
});

describe("the telestion-health executable", () => {
  it("exits 0 when this service answers, and 1 for a service that does not run", async () => {
    const service = runTs(fixture("echo-service.ts"), bus.env({ SERVICE_NAME: "probed" }));
    await service.waitFor(/^ready /m);
    await bus.start("some-other-service"); // answers too, but is not the one probed

    const healthy = runTs(fixture("health-probe.ts"), bus.env({ SERVICE_NAME: "probed" }));
    expect(await healthy.exited).toBe(0);
    expect(healthy.stdout()).toMatch(/^healthy: probed-[0-9a-f]+ \(probed\), 0 recent error\(s\)/);

    const missing = runTs(fixture("health-probe.ts"), bus.env({ SERVICE_NAME: "not-running" }));
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toMatch(/^unhealthy: no health reply from not-running on __telestion__\/health within 500 ms/);

    const unreachable = runTs(fixture("health-probe.ts"), bus.env({ SERVICE_NAME: "probed", NATS_URL: "127.0.0.1:1" }));
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.stderr()).toMatch(/^unhealthy: NatsConnectError: cannot reach NATS server/);

    service.kill("SIGTERM");
    expect(await service.exited).toBe(0);
  });
});
