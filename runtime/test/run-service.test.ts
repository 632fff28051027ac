import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { startNatsServer } from "../../test-support/nats-server.js";
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

describe("runService: --help and --version", () => {
  it("--help: the usage on stdout, exit 0, before any configuration is read", async () => {
    const child = runTs(fixture("echo-service.ts"), {}, ["--help"]);
    expect(await child.exited).toBe(0);
    const help = child.stdout();
    expect(help).toMatch(/^Usage: echo-service\.ts \[--dev\] \[--KEY=value …\]\n/);
    for (const text of ["NATS_URL", "NATS_USER", "NATS_PASSWORD", "SERVICE_NAME", "DATA_DIR", "--dev", "--KEY=value", "README.md"]) {
      expect(help).toContain(text);
    }
    expect(child.stderr()).toBe("");
  });

  it("-h works too, and after `--` the words are the service's own", async () => {
    const short = runTs(fixture("echo-service.ts"), {}, ["-h"]);
    expect(await short.exited).toBe(0);
    expect(short.stdout()).toMatch(/^Usage: /);
    const own = runTs(fixture("echo-service.ts"), {}, ["--", "--help"]);
    expect(await own.exited).toBe(1);
    expect(own.stderr()).toMatch(/^error: ConfigError: missing configuration/);
  });

  it("--version: the version the service passes, exit 0, even with configuration missing", async () => {
    const child = runTs(fixture("versioned-service.ts"), {}, ["--version"]);
    expect(await child.exited).toBe(0);
    expect(child.stdout()).toBe("1.2.3-test\n");
    expect(child.stderr()).toBe("");
  });

  it("--version without a version passed: one line naming the fix, exit 1", async () => {
    const child = runTs(fixture("echo-service.ts"), bus.env(), ["--version"]);
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toBe("error: no version known: pass runService(main, { version }) (a generated main.ts passes package.json's)\n");
    expect(child.stdout()).toBe("");
  });
});

describe("runService --dev: waiting for NATS", () => {
  it("while no server listens, says once that it waits, and runs as soon as nats-server is up", async () => {
    // A port nats-server had: free again after stop(), and restart() brings the server back on it.
    const later = await startNatsServer();
    await later.stop();
    const dataDir = mkdtempSync(join(tmpdir(), "dev-wait-"));
    const child = runTs(fixture("echo-service.ts"), { DATA_DIR: dataDir }, ["--dev", `--NATS_URL=${later.url}`]);
    try {
      await child.waitFor(/waiting for NATS/);
      // Several retries (every 500 ms) pass before the server starts; the line stays one.
      await sleep(1_500);
      await later.restart();
      await child.waitFor(/is running \(SERVICE_NAME dev-/, 20_000);
      expect(child.stderr()).toBe(`[telestion] waiting for NATS at ${later.url} (start it with: nats-server)\n`);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await later.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refused credentials are not waited for: exit 1 at once", async () => {
    const child = runTs(fixture("echo-service.ts"), bus.env({ NATS_PASSWORD: "not-the-password" }), ["--dev"]);
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toMatch(/^error: NatsConnectError: NATS server at .* refused the credentials/);
    expect(child.stderr()).not.toContain("waiting for NATS");
  });

  it("without --dev an unreachable server is a start-up error, exit 1", async () => {
    const child = runTs(fixture("echo-service.ts"), bus.env({ NATS_URL: "127.0.0.1:1" }));
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toMatch(/^error: NatsConnectError: cannot reach NATS server at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
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
    expect((await reply).json()).toBe("done after 700 ms");
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
    expect((await reply).json()).toBe("done after 500 ms");
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toContain("exiting without waiting");
  });

  it("says it is running only once the server has its subscriptions: a request right after the line is answered", async () => {
    const client = await bus.start("readiness-client");
    for (let i = 0; i < 3; i++) {
      const child = runTs(fixture("echo-service.ts"), bus.env({ SERVICE_NAME: `readiness-${i}` }));
      await child.waitFor(/is running \(SERVICE_NAME readiness-\d\)/);
      expect((await client.request("test.echo", "first", { timeoutMs: 1_000 })).json()).toBe("first");
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
    expect(reply?.json()).toBe("again");
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
