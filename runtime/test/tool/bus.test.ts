// `telestion ls`, `req`, `pub`, `sub`, `logs` against a live bus with user and password: a real
// nats-server, a service and the log sink on telestion-runtime, the CLI run as a child process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ServiceError, startService, startLogSink, type Service } from "../../src/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../../../test-support/nats-server.js";
import { runCli, startCli } from "./helpers/cli.js";

const PASSWORD = "bus-secret-4711";
let server: NatsServer;
let dataDir: string;
let services: Service[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  server = await startNatsServer({ auth: { user: "operator", password: PASSWORD } });
  dataDir = mkdtempSync(join(tmpdir(), "telestion-tools-bus-"));
  env = { NATS_URL: server.url, NATS_USER: "operator", NATS_PASSWORD: PASSWORD };
  const start = (name: string) => startService({ argv: [], env: { ...env, SERVICE_NAME: name, DATA_DIR: dataDir } });
  const echo = await start("echo");
  echo.reply("echo", (message) => message.data);
  echo.reply("refuse", () => {
    throw new ServiceError(418, "I refuse\nwith a second line");
  });
  const second = await start("echo");
  const sink = await start("log-sink");
  startLogSink(sink);
  services = [echo, second, sink];
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("telestion ls", () => {
  it("lists every instance grouped by service name, with id, errors and reply time", async () => {
    const { code, stdout, stderr } = await runCli(["ls"], { env });
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^SERVICE +INSTANCE +ERRORS +REPLY$/);
    const [echo1, echo2, sink] = [...services].sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.serviceId.localeCompare(b.serviceId));
    expect(lines[1]).toMatch(new RegExp(`^echo +${echo1!.serviceId} +0 +\\d+ ms$`));
    expect(lines[2]).toMatch(new RegExp(`^ +${echo2!.serviceId} +0 +\\d+ ms$`)); // same service: the name once
    expect(lines[3]).toMatch(new RegExp(`^log-sink +${sink!.serviceId} +0 +\\d+ ms$`));
    expect(lines.at(-1)).toBe("3 instance(s) of 2 service(s)");
    expect(stdout).not.toContain(PASSWORD);
  });

  it("--json: one object per instance", async () => {
    const { code, stdout, stderr } = await runCli(["ls", "--json", "--wait", "300"], { env });
    expect(code, stderr).toBe(0);
    const rows = JSON.parse(stdout) as { name: string; id: string; errors: number; replyMs: number }[];
    expect(rows.map((row) => row.id).sort()).toEqual(services.map((s) => s.serviceId).sort());
    expect(rows.every((row) => row.errors === 0 && row.replyMs >= 0)).toBe(true);
  });

  it("takes NATS_URL, NATS_USER and NATS_PASSWORD from .env in the working directory", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "telestion-tools-dotenv-"));
    try {
      writeFileSync(join(cwd, ".env"), Object.entries(env).map(([key, value]) => `${key}=${value}`).join("\n") + "\n");
      const { code, stdout } = await runCli(["ls"], { cwd });
      expect(code).toBe(0);
      expect(stdout).toContain("3 instance(s) of 2 service(s)");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("refused credentials: one line naming the user, never the password, exit 1", async () => {
    const { code, stdout, stderr } = await runCli(["ls"], { env: { ...env, NATS_PASSWORD: "not-the-password" } });
    expect(stderr.trim()).toMatch(/^telestion ls: NATS server at nats:\/\/127\.0\.0\.1:\d+ refused the credentials of user "operator" \(authorization violation\): check NATS_USER and NATS_PASSWORD$/);
    expect(stdout + stderr).not.toContain("not-the-password");
    expect(code).toBe(1);
  });

  it("no configuration: one line naming what is missing and --dev, exit 2", async () => {
    const { code, stderr } = await runCli(["ls"], {});
    expect(stderr.trim()).toMatch(/^telestion ls: missing configuration: NATS_URL, NATS_USER, NATS_PASSWORD\..*--dev/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(code).toBe(2);
  });

  it("a bus with no service: lists nothing (the server's empty no-responders reply is no instance), exit 1", async () => {
    const empty = await startNatsServer();
    try {
      const plain = await runCli(["ls", "--wait", "300", "--dev"], { env: { NATS_URL: empty.url } });
      expect(plain.stdout).toBe("");
      expect(plain.stderr.trim()).toBe("telestion ls: no service answered __telestion__/health within 300 ms: start a service, or wait longer with --wait <ms>");
      expect(plain.code).toBe(1);
      const json = await runCli(["ls", "--json", "--wait", "300", "--dev"], { env: { NATS_URL: empty.url } });
      expect(JSON.parse(json.stdout)).toEqual([]);
      expect(json.code).toBe(1);
    } finally {
      await empty.stop();
    }
  });
});

describe("telestion req", () => {
  it("prints the reply; JSON stays JSON", async () => {
    const { code, stdout } = await runCli(["req", "echo", '{"value": 1}'], { env });
    expect(stdout).toBe('{"value": 1}\n');
    expect(code).toBe(0);
  });

  it("a failing responder: its body, its error headers on stderr, exit 1", async () => {
    const { code, stdout, stderr } = await runCli(["req", "refuse"], { env });
    // The runtime's error body and header (its wording is the runtime's; the line break is folded).
    expect(stdout).toMatch(/^\{"error":"[^"\n]*I refuse with a second line"\}\n$/);
    expect(stderr).toMatch(/^Nats-Service-Error-Code: 418\nNats-Service-Error: [^\n]*I refuse with a second line\n$/);
    expect(code).toBe(1);
  });

  it("no reply in time: one line, exit 1", async () => {
    // The log sink subscribes to "*" (every one-token subject), so a request here has a subscriber that never answers.
    const { code, stdout, stderr } = await runCli(["req", "nobody", "hi", "--timeout", "300"], { env });
    expect(stderr).toBe("telestion req: no reply on nobody within 300 ms\n");
    expect(stdout).toBe("");
    expect(code).toBe(1);
  });

  it("no subscriber at all: one line, exit 1", async () => {
    const empty = await startNatsServer({ auth: { user: "operator", password: PASSWORD } });
    try {
      const { code, stderr } = await runCli(["req", "nobody.here"], { env: { ...env, NATS_URL: empty.url } });
      expect(stderr).toBe("telestion req: nobody answers on nobody.here (no subscriber): is the service running and replying there?\n");
      expect(code).toBe(1);
    } finally {
      await empty.stop();
    }
  });

  it("bad input: a wildcard subject, an unknown option: one line naming the fix, exit 2", async () => {
    const wildcard = await runCli(["req", "sensors.*"], { env });
    expect(wildcard.stderr).toMatch(/^telestion req: subject "sensors\.\*" contains a wildcard; .*reply on a concrete subject such as "sensors\.example"\n$/);
    expect(wildcard.code).toBe(2);
    const option = await runCli(["req", "echo", "--tiemout", "5"], { env });
    expect(option.stderr).toMatch(/^telestion req: Unknown option '--tiemout'.* \(telestion req --help\)\n$/);
    expect(option.code).toBe(2);
  });
});

describe("telestion pub and sub", () => {
  it("sub prints each message with subject and size, bodies shown safely; pub sends text as given", async () => {
    const watcher = startCli(["sub", "bus.>", "--count", "4"], { env });
    await watcher.waitFor(/listening on bus\.>/);
    const published = await runCli(["pub", "bus.text", '{"t": 21.5}'], { env });
    expect(published).toMatchObject({ code: 0, stderr: "published 11 bytes on bus.text\n" });
    const nc = services[0]!.nc;
    nc.publish("bus.escape", "red \x1b[31malert\u202e");
    nc.publish("bus.binary", Uint8Array.from([0xff, 0x00, 0xfe]));
    nc.publish("bus.empty", new Uint8Array(0));
    const { code, stdout } = await watcher.finished;
    expect(stdout.split("\n")).toEqual([
      'bus.text 11 bytes {"t": 21.5}',
      "bus.escape 17 bytes red \\x1b[31malert\\u202e",
      "bus.binary 3 bytes [binary, 3 bytes] ff 00 fe",
      "bus.empty 0 bytes [empty]",
      "",
    ]);
    expect(code).toBe(0);
  });

  it("sub ends on Ctrl-C with exit 0", async () => {
    const watcher = startCli(["sub", "bus.quiet"], { env });
    await watcher.waitFor(/listening on bus\.quiet/);
    watcher.kill("SIGINT");
    expect((await watcher.finished).code).toBe(0);
  });
});

describe("telestion logs", () => {
  beforeAll(async () => {
    const [echo] = services;
    echo!.log("readings", { value: 1 });
    echo!.log("readings", Uint8Array.from([0x00, 0x01, 0xff]));
    // As bytes: a string would be logged as JSON, its line break escaped by JSON itself.
    echo!.log("events", new TextEncoder().encode("started\nwith a line break"));
    await waitForFile(join(dataDir, "logs", "events.log"), 1);
    await waitForFile(join(dataDir, "logs", "readings.log"), 2);
  });

  it("one category: each line decoded (the sink's base64 marker back to bytes) and shown safely", async () => {
    const { code, stdout } = await runCli(["logs", "readings"], { env: { DATA_DIR: dataDir } });
    const lines = stdout.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z \{"value":1\}$/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[binary, 3 bytes\] 00 01 ff$/),
    ]);
    expect(code).toBe(0);
  });

  it("every category, merged by time and tagged with its category", async () => {
    const { code, stdout } = await runCli(["logs", "--DATA_DIR=" + dataDir]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(/Z events started\\x0awith a line break$/));
    expect(lines).toContainEqual(expect.stringMatching(/Z readings \{"value":1\}$/));
    expect(code).toBe(0);
  });

  it("--follow prints what comes, until Ctrl-C", async () => {
    const follower = startCli(["logs", "events", "--follow"], { env: { DATA_DIR: dataDir } });
    await follower.waitFor(/started\\x0awith a line break/);
    services[0]!.log("events", "later");
    await follower.waitFor(/Z "later"$/m);
    follower.kill("SIGINT");
    expect((await follower.finished).code).toBe(0);
  });

  it("a category that would leave the logs folder, or one with no file: one line, exit 2", async () => {
    const escape = await runCli(["logs", "../secrets"], { env: { DATA_DIR: dataDir } });
    expect(escape.code).toBe(2);
    expect(escape.stderr.trim().split("\n")).toHaveLength(1);
    const none = await runCli(["logs", "nothing"], { env: { DATA_DIR: dataDir } });
    expect(none.stderr).toBe(`telestion logs: no log file ${join(dataDir, "logs", "nothing.log")}: nothing logged in "nothing" yet (telestion logs lists every category)\n`);
    expect(none.code).toBe(2);
  });
});

async function waitForFile(path: string, lines: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (readFileSync(path, "utf8").split("\n").filter(Boolean).length >= lines) return;
    } catch {
      // not written yet
    }
    await sleep(25);
  }
  throw new Error(`${path} did not get ${lines} line(s)`);
}
