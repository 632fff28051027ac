// TLS against a real nats-server that requires TLS and verifies client certificates (verify: true),
// with certificates made by openssl for this run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../../test-support/nats-server.js";
import { createInbox } from "@nats-io/transport-node";
import { connectNats, startService, type BaseConfig } from "../src/index.js";
import { fixture, runTs } from "./helpers/child.js";
import { makeTestCerts, tlsServerConfig, type TestCerts } from "./helpers/certs.js";
import { runCli } from "./tool/helpers/cli.js";

let certs: TestCerts;
let nats: NatsServer;
let env: BaseConfig & Record<string, string>;

beforeAll(async () => {
  certs = makeTestCerts();
  nats = await startNatsServer({ config: tlsServerConfig(certs), monitor: true });
  env = {
    NATS_URL: nats.url,
    NATS_USER: "",
    NATS_PASSWORD: "",
    SERVICE_NAME: "tls-test",
    DATA_DIR: join(certs.dir, "data"),
    NATS_TLS_CA: certs.ca,
    NATS_TLS_CERT: certs.clientCert,
    NATS_TLS_KEY: certs.clientKey,
  };
});
afterAll(() => nats?.stop());

/** The base64 body of a PEM file, which must never reach any output. */
function pemBody(path: string): string {
  return readFileSync(path, "utf8").split("\n").filter((line) => line && !line.startsWith("-----")).join("").slice(0, 60);
}

interface Connz {
  connections: { name?: string; tls_version?: string }[];
}

async function connections(): Promise<Connz["connections"]> {
  const response = await fetch(`${nats.monitorUrl}/connz`);
  return ((await response.json()) as Connz).connections;
}

describe("a service over TLS", () => {
  it("connects with the CA and a client certificate, and its health thread does too", async () => {
    const service = await startService({ argv: [], env });
    try {
      const reply = await service.request("__telestion__/health", undefined, { timeoutMs: 1_000 });
      expect(reply.json()).toMatchObject({ name: "tls-test", service: service.serviceId });

      // The health thread connects ~0.2 s after the start, with the same TLS files.
      let thread: Connz["connections"][number] | undefined;
      for (let i = 0; i < 100 && !thread; i++) {
        thread = (await connections()).find((c) => c.name === `${service.serviceId} (health)`);
        if (!thread) await sleep(100);
      }
      expect(thread?.tls_version).toMatch(/^1\.[23]$/);
      expect((await connections()).find((c) => c.name === service.serviceId)?.tls_version).toMatch(/^1\.[23]$/);
    } finally {
      await service.stop();
    }
  });

  it("the health thread answers over TLS while the main thread is blocked", async () => {
    const child = runTs(fixture("busy-service.ts"), { ...env, SERVICE_NAME: "tls-busy", SERVICE_ID: "tls-busy-1" });
    const client = await connectNats(env, { name: "tls-test client" });
    try {
      await child.waitFor(/ready tls-busy-1/);
      for (let i = 0; i < 100; i++) {
        if ((await connections()).some((c) => c.name === "tls-busy-1 (health)" && c.tls_version)) break;
        await sleep(100);
      }
      client.publish("test.block", "2500");
      await client.flush();
      await sleep(300); // the service's main thread is busy now
      const inbox = createInbox();
      const replies: string[] = [];
      const sub = client.subscribe(inbox, { callback: (_err, msg) => void replies.push(msg.string()) });
      const asked = Date.now();
      client.publish("__telestion__/health", "", { reply: inbox });
      while (replies.length === 0 && Date.now() - asked < 1_000) await sleep(10);
      const answeredMs = Date.now() - asked;
      sub.unsubscribe();
      expect(replies.map((r) => (JSON.parse(r) as { service: string }).service)).toEqual(["tls-busy-1"]);
      expect(answeredMs).toBeLessThan(500);
    } finally {
      await client.close();
      child.kill();
      await child.exited;
    }
  });
});

describe("a TLS problem stops the service with one line naming the variable to fix", () => {
  /** Runs a service with `overrides` applied to the TLS environment; it must exit 1 with one line on stderr. */
  async function failure(overrides: Record<string, string | undefined>, url = nats.url): Promise<string> {
    const child = runTs(fixture("run-only.ts"), { ...env, NATS_URL: url, TIMEOUT_MS: "1500", ...overrides });
    expect(await child.exited).toBe(1);
    const output = child.stdout() + child.stderr();
    for (const key of [certs.clientKey, certs.wrongClientKey, certs.serverKey]) expect(output).not.toContain(pemBody(key));
    expect(child.stdout()).toBe("");
    const lines = child.stderr().split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }

  it("a CA that did not sign the server's certificate", async () => {
    expect(await failure({ NATS_TLS_CA: certs.wrongCa })).toMatch(
      new RegExp(`^error: \\w+: the TLS certificate of NATS server at nats://127\\.0\\.0\\.1:\\d+ is not signed by NATS_TLS_CA ${certs.wrongCa} \\(unable to verify the first certificate\\): set NATS_TLS_CA to the CA that signed the server's certificate$`),
    );
  });

  it("no CA for a server whose CA the system does not know", async () => {
    expect(await failure({ NATS_TLS_CA: undefined, NATS_TLS_CERT: undefined, NATS_TLS_KEY: undefined })).toMatch(
      /^error: \w+: the TLS certificate of NATS server at .* is not trusted \(unable to verify the first certificate\): set NATS_TLS_CA to the PEM file of the CA that signed it$/,
    );
  });

  it("no client certificate for a server that verifies clients", async () => {
    expect(await failure({ NATS_TLS_CERT: "", NATS_TLS_KEY: "" })).toMatch(
      /^error: \w+: NATS server at .* requires a client certificate \(certificate required\): set NATS_TLS_CERT and NATS_TLS_KEY$/,
    );
  });

  it("a client certificate signed by a CA the server does not trust", async () => {
    expect(await failure({ NATS_TLS_CERT: certs.wrongClientCert, NATS_TLS_KEY: certs.wrongClientKey })).toMatch(
      new RegExp(`^error: \\w+: NATS server at .* refused the client certificate NATS_TLS_CERT ${certs.wrongClientCert} \\([a-z ]+\\): set NATS_TLS_CERT and NATS_TLS_KEY to a certificate signed by a CA the server trusts$`),
    );
  });

  it("a missing or unreadable file", async () => {
    const missing = join(certs.dir, "absent.key");
    expect(await failure({ NATS_TLS_KEY: missing })).toBe(`error: NatsConnectError: cannot read NATS_TLS_KEY ${missing} (ENOENT): set NATS_TLS_KEY to a readable PEM file`);
    expect(await failure({ NATS_TLS_CA: certs.dir })).toBe(`error: NatsConnectError: cannot read NATS_TLS_CA ${certs.dir} (EISDIR): set NATS_TLS_CA to a readable PEM file`);
  });

  it("a file that is not what its variable needs, or a key of another certificate", async () => {
    expect(await failure({ NATS_TLS_CERT: certs.clientKey })).toMatch(
      new RegExp(`^error: \\w+: NATS_TLS_CERT ${certs.clientKey} is not a PEM certificate \\(.+\\): set NATS_TLS_CERT to one$`),
    );
    expect(await failure({ NATS_TLS_KEY: certs.clientCert })).toMatch(/^error: \w+: NATS_TLS_KEY .* is not an unencrypted PEM private key \(.+\): set NATS_TLS_KEY to one$/);
    expect(await failure({ NATS_TLS_KEY: certs.wrongClientKey })).toMatch(
      /^error: \w+: NATS_TLS_KEY .* is not the private key of NATS_TLS_CERT .* \(.*mismatch\): set NATS_TLS_KEY to the key the certificate was made for$/,
    );
  });

  it("a certificate without its key", async () => {
    expect(await failure({ NATS_TLS_KEY: undefined })).toMatch(
      /^error: \w+: NATS_TLS_CERT is set but NATS_TLS_KEY is not: a client certificate needs its private key, set both or neither$/,
    );
  });

  it("TLS files for a server without TLS", async () => {
    const plain = await startNatsServer();
    try {
      expect(await failure({}, plain.url)).toMatch(/^error: \w+: NATS server at .* does not offer TLS, but NATS_TLS_CA\/NATS_TLS_CERT is set: enable TLS on the server or unset them$/);
    } finally {
      await plain.stop();
    }
  });
});

describe("the telestion tool over TLS", () => {
  it("takes the same variables", async () => {
    const service = await startService({ argv: [], env: { ...env, SERVICE_NAME: "tls-tool" } });
    try {
      const { code, stdout } = await runCli(["req", "__telestion__/health"], { env });
      expect({ code, stdout }).toMatchObject({ code: 0, stdout: expect.stringContaining(service.serviceId) });
      const refused = await runCli(["req", "__telestion__/health"], { env: { ...env, NATS_TLS_CA: certs.wrongCa } });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/is not signed by NATS_TLS_CA/);
    } finally {
      await service.stop();
    }
  });
});

describe("relative TLS paths", () => {
  it("are resolved against the working directory, like DATA_DIR", async () => {
    const child = runTs(
      fixture("run-only.ts"),
      { ...env, NATS_TLS_CA: "test-ca.pem", NATS_TLS_CERT: "client.pem", NATS_TLS_KEY: "client.key", SERVICE_ID: "tls-relative" },
      [],
      certs.dir,
    );
    await child.waitFor(/ready tls-relative/);
    child.kill();
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toMatch(/error/i);
  });
});
