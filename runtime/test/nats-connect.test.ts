import { connect as connectTcp, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../../test-support/nats-server.js";
import { NatsConnectError, startService } from "../src/index.js";
import { fixture, runTs } from "./helpers/child.js";

const PASSWORD = "s3cret-pa55word";
let nats: NatsServer;
let env: Record<string, string>;

beforeAll(async () => {
  nats = await startNatsServer({ auth: { user: "telestion", password: PASSWORD } });
  env = { NATS_URL: nats.url, NATS_USER: "telestion", NATS_PASSWORD: PASSWORD, SERVICE_NAME: "connect-test", DATA_DIR: "/tmp/connect-test" };
});
afterAll(() => nats.stop());

async function startError(overrides: Record<string, string | undefined>, connectTimeoutMs?: number): Promise<Error> {
  try {
    const service = await startService({ argv: [], env: { ...env, ...overrides }, connectTimeoutMs });
    await service.stop();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected startService to reject");
}

describe("connecting to a server that requires authentication", () => {
  it("connects with the right credentials", async () => {
    const service = await startService({ argv: [], env });
    expect(service.nc.isClosed()).toBe(false);
    expect(service.messageBus).toBe(service.nc);
    await service.stop();
    expect(service.nc.isClosed()).toBe(true);
  });

  it("reports refused credentials without the password", async () => {
    const err = await startError({ NATS_PASSWORD: "wrong-password" });
    expect(err).toBeInstanceOf(NatsConnectError);
    expect(err.message).toMatch(/refused the credentials of user "telestion".*check NATS_USER and NATS_PASSWORD/);
    expect(err.message).not.toContain("wrong-password");
    expect(err.message).not.toContain(PASSWORD);
  });

  it("says that NATS_PASSWORD is empty when the server refuses a user without one", async () => {
    const err = await startError({ NATS_PASSWORD: "" });
    expect(err.message).toMatch(/^NATS server at nats:\/\/127\.0\.0\.1:\d+ refused user "telestion" with an empty NATS_PASSWORD: set NATS_PASSWORD to the user's password$/);
  });

  it("reports that authentication is required for empty credentials", async () => {
    const err = await startError({ NATS_USER: "", NATS_PASSWORD: "" });
    expect(err.message).toMatch(/requires authentication: set NATS_USER and NATS_PASSWORD/);
  });

  it("reports absent credentials as missing configuration", async () => {
    const err = await startError({ NATS_USER: undefined, NATS_PASSWORD: undefined });
    expect(err.message).toMatch(/^missing configuration: NATS_USER, NATS_PASSWORD\./);
  });

  it("never shows a password written into NATS_URL", async () => {
    const err = await startError({ NATS_URL: `nats://telestion:url-secret@127.0.0.1:${nats.port}`, NATS_PASSWORD: "wrong" });
    expect(err.message).not.toContain("url-secret");
  });
});

describe("connecting without authentication", () => {
  it("connects with empty credentials to an open server", async () => {
    const open = await startNatsServer();
    try {
      const service = await startService({ argv: [], env: { ...env, NATS_URL: open.url, NATS_USER: "", NATS_PASSWORD: "" } });
      expect(service.nc.isClosed()).toBe(false);
      await service.stop();
    } finally {
      await open.stop();
    }
  });
});

describe("when no server answers", () => {
  it("fails fast and says the server is unreachable when the port is closed", async () => {
    const closed = await startNatsServer();
    await closed.stop();
    const err = await startError({ NATS_URL: closed.url });
    expect(err.message).toMatch(/^cannot reach NATS server at nats:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it("fails within the bound against a port that never speaks NATS, and the process can exit", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const err = await startError({ NATS_URL: `127.0.0.1:${port}` }, 300);
      expect(err.message).toMatch(/no NATS server answered at 127\.0\.0\.1:\d+ within 300 ms/);
      expect(Date.now() - started).toBeLessThan(5_000);

      // In a real process: nothing may keep it alive after the rejection.
      const child = runTs(fixture("start-only.ts"), { ...env, NATS_URL: `127.0.0.1:${port}`, TIMEOUT_MS: "300" });
      expect(await child.exited).toBe(0);
      expect(child.stdout()).toMatch(/rejected: NatsConnectError: no NATS server answered/);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  });

  it("a failed attempt closes only its own sockets: a parallel connection to the same port and a successful connect live on", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      // Another part of the process talks to the same port, and connects while the attempt runs.
      const bystander = connectTcp(port, "127.0.0.1");
      const failing = startError({ NATS_URL: `127.0.0.1:${port}` }, 500);
      const lateBystander = connectTcp(port, "127.0.0.1");
      const neighbour = startService({ argv: [], env: { ...env, SERVICE_NAME: "connect-neighbour" } });
      expect((await failing).message).toMatch(/no NATS server answered/);
      const service = await neighbour;
      expect(bystander.destroyed).toBe(false);
      expect(lateBystander.destroyed).toBe(false);
      expect(service.nc.isClosed()).toBe(false);
      expect((await service.request("__telestion__/health", undefined, { timeoutMs: 500 })).size).toBeGreaterThan(0);
      bystander.destroy();
      lateBystander.destroy();
      await service.stop();
    } finally {
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  });

  it("refuses a NATS_URL that names no server", async () => {
    for (const url of [",,,", " , "]) {
      const err = await startError({ NATS_URL: url });
      expect(err.message).toBe("NATS_URL names no server: set it to host:port or nats://host:port (comma-separated for several)");
    }
  });

  it("explains an address that is not a URL", async () => {
    const err = await startError({ NATS_URL: "nats://:::" });
    expect(err.message).toMatch(/is not a valid server address/);
  });
});

describe("startService({ nats: false })", () => {
  it("runs without NATS and says so when the connection is used", async () => {
    const service = await startService({ nats: false, argv: [], env: { SERVICE_NAME: "offline", DATA_DIR: "/tmp/offline" } });
    expect(() => service.nc).toThrow(/NATS is disabled/);
    expect(() => service.messageBus).toThrow(/NATS is disabled/);
    expect(() => service.subscribe("x", () => undefined)).toThrow(/NATS is disabled/);
    await service.stop();
  });
});
