// The log sink beside services on one real bus: requests nobody serves still fail fast ("no responders"),
// every category service.log accepts is written, the standalone sink started with a service's .env takes
// none of that service's messages and never passes for it, and a file renamed by logrotate is made anew.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IDENTITY_CHECK_MS } from "../src/log-sink.js";
import { logSinkName, parseLogLine, startLogSink, type Service } from "../src/index.js";
import { fixture, runTs } from "./helpers/child.js";
import { useTestBus, waitUntil } from "./helpers/services.js";
import { runCli } from "./tool/helpers/cli.js";

const bus = useTestBus();

/** Text as raw bytes: written as it is, whatever rule encodes a string body. */
const text = (value: string) => new TextEncoder().encode(value);

/** Bodies of the lines of a log file, as text; [] when there is no file. */
function bodies(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  return text === "" ? [] : text.split("\n").slice(0, -1).map((line) => new TextDecoder().decode(parseLogLine(line).body));
}

async function embeddedSink(serviceName: string): Promise<{ sink: Service; logs: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "log-sink-bus-"));
  const sink = await bus.start(serviceName, { env: bus.env({ SERVICE_NAME: serviceName, DATA_DIR: dataDir }) });
  startLogSink(sink);
  await sink.nc.flush();
  return { sink, logs: join(dataDir, "logs") };
}

/** How long a request nobody serves takes to fail, and how. */
async function unanswered(client: Service, subject: string, timeoutMs = 5_000): Promise<{ ms: number; error: string }> {
  const t0 = performance.now();
  const error = await client.request(subject, {}, { timeoutMs }).then(
    () => "answered",
    (err: Error) => err.message,
  );
  return { ms: performance.now() - t0, error };
}

describe("the sink leaves the bus's answers intact", () => {
  it("with a sink running, a request nobody serves fails with no responders within 0.5 s, as without it", async () => {
    const client = await bus.start("no-responders-client");
    const before = await unanswered(client, "nothing.here");
    await embeddedSink("no-responders-sink");
    const during = await unanswered(client, "nothing.here");
    for (const { ms, error } of [before, during]) {
      expect(error).toBe('no service answers requests on "nothing.here"');
      expect(ms).toBeLessThan(500);
    }
  });

  it("the price of `*`: a request to a ONE-token subject nobody serves waits for its timeout while a sink runs", async () => {
    const client = await bus.start("one-token-client");
    await embeddedSink("one-token-sink");
    expect((await unanswered(client, "lonely", 300)).error).toBe('no reply on "lonely" within 300 ms');
  });

  it("writes every category service.log accepts (dotted ones in the dot form) and both forms other clients publish", async () => {
    const { sink, logs } = await embeddedSink("categories-sink");
    const client = await bus.start("categories-client");
    const categories = ["plain", "sensors.temperature.v2", "Ünïcode-é_1", "x".repeat(251)];
    for (const category of categories) client.log(category, text(`for ${category.slice(0, 20)}`));
    client.publish("__telestion__/log/slash-form", text("seed form"));
    client.publish("__telestion__.log.dot-form.v1", text("dot form"));
    // The seed's form with a dot is two tokens: only `>` would receive it, so it is not written (README).
    client.publish("__telestion__/log/seed.with-dot", text("unseen"));
    client.log("marker", text("last"));
    await client.nc.flush();
    await waitUntil(() => bodies(join(logs, "marker.log")).length === 1);
    for (const category of categories) expect(bodies(join(logs, `${category}.log`))).toEqual([`for ${category.slice(0, 20)}`]);
    expect(bodies(join(logs, "slash-form.log"))).toEqual(["seed form"]);
    expect(bodies(join(logs, "dot-form.v1.log"))).toEqual(["dot form"]);
    expect(existsSync(join(logs, "seed.with-dot.log"))).toBe(false);
    expect(sink.errors.total).toBe(0);
  });
});

describe("the standalone sink started in a service's folder, with its .env (SERVICE_NAME=my-service)", () => {
  it("takes none of the service's messages (1,000 of 1,000 handled and logged), fails no request fast, and lists as my-service-log-sink", async () => {
    const folder = mkdtempSync(join(tmpdir(), "log-sink-service-folder-"));
    writeFileSync(join(folder, ".env"), "SERVICE_NAME=my-service\nSERVICE_ID=my-service-1\nDATA_DIR=./data\n");
    const service = await bus.start("my-service", { env: bus.env({ SERVICE_NAME: "my-service", DATA_DIR: join(folder, "data") }) });
    let readings = 0;
    let pings = 0;
    service.subscribe("sensors.>", (message) => {
      readings++;
      service.log("readings", message.data);
    });
    // A one-token subject: the sink's `*` overlaps it, so a shared queue group would split these.
    service.subscribe("ping", () => void pings++);
    await service.nc.flush();

    const { NATS_URL, NATS_USER, NATS_PASSWORD } = bus.env();
    const sink = runTs(fixture("log-sink.ts"), { NATS_URL, NATS_USER, NATS_PASSWORD }, [], folder);
    await sink.waitFor(/is running \(SERVICE_NAME my-service-log-sink\)/);

    const publisher = await bus.start("readings-publisher");
    for (let i = 0; i < 1_000; i++) {
      publisher.publish(`sensors.s${i % 10}`, { i });
      publisher.publish("ping", { i });
    }
    await publisher.nc.flush();
    const logFile = join(folder, "data", "logs", "readings.log");
    await waitUntil(() => bodies(logFile).length >= 1_000 && pings >= 1_000, 15_000).catch(() => undefined);
    expect(readings).toBe(1_000);
    expect(pings).toBe(1_000);
    expect(bodies(logFile)).toEqual(Array.from({ length: 1_000 }, (_, i) => JSON.stringify({ i })));

    const { ms, error } = await unanswered(publisher, "nothing.here");
    expect(error).toBe('no service answers requests on "nothing.here"');
    expect(ms).toBeLessThan(500);

    const ls = await runCli(["ls", "--json"], { env: { NATS_URL, NATS_USER, NATS_PASSWORD } });
    expect(ls.code).toBe(0);
    const rows = JSON.parse(ls.stdout) as { name: string; id: string }[];
    expect(rows.filter((row) => row.name === "my-service").map((row) => row.id)).toEqual([service.serviceId]);
    expect(rows.filter((row) => row.name === "my-service-log-sink").map((row) => row.id)).toEqual(["my-service-1-log-sink"]);
    sink.kill("SIGTERM");
    expect(await sink.exited).toBe(0);
    rmSync(folder, { recursive: true, force: true });
  });

  it("a sink's own configuration (SERVICE_NAME=log-sink) stays exactly as configured", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "log-sink-own-"));
    const env = bus.env({ SERVICE_NAME: "log-sink", SERVICE_ID: "log-sink-7", DATA_DIR: dataDir });
    const sink = runTs(fixture("log-sink.ts"), env);
    await sink.waitFor(/is running \(SERVICE_NAME log-sink\)/);
    const ls = await runCli(["ls", "--json"], { env });
    const rows = JSON.parse(ls.stdout) as { name: string; id: string }[];
    expect(rows.filter((row) => row.id.startsWith("log-sink-7"))).toEqual([expect.objectContaining({ name: "log-sink", id: "log-sink-7" })]);
    sink.kill("SIGTERM");
    expect(await sink.exited).toBe(0);
  });

  it("derives its name from SERVICE_NAME once: log-sink and dev-log-sink stay as they are", () => {
    expect(logSinkName("my-service")).toBe("my-service-log-sink");
    expect(logSinkName("my-service-log-sink")).toBe("my-service-log-sink");
    expect(logSinkName("log-sink")).toBe("log-sink");
    expect(logSinkName("dev-log-sink")).toBe("dev-log-sink");
  });
});

describe("logrotate", () => {
  /** Publishes `line-<n>` to `category` every 5 ms until stopped; resolves the count sent. */
  function publishEvery5ms(client: Service, category: string) {
    let sent = 0;
    const timer = setInterval(() => client.log(category, text(`line-${sent++}`)), 5);
    return {
      sent: () => sent,
      async stop() {
        clearInterval(timer);
        await client.nc.flush();
        return sent;
      },
    };
  }

  it("a renamed file: a new <category>.log within 1 s, every line in exactly one of the two files, in order", async () => {
    expect(IDENTITY_CHECK_MS).toBeLessThan(1_000);
    const { sink, logs } = await embeddedSink("rotate-sink");
    const client = await bus.start("rotate-client");
    const file = join(logs, "rotate.log");
    const publishing = publishEvery5ms(client, "rotate");
    await waitUntil(() => bodies(file).length >= 50);

    renameSync(file, `${file}.1`);
    const renamedAt = performance.now();
    await waitUntil(() => existsSync(file), 3_000);
    const appearedMs = performance.now() - renamedAt;
    // Once the new file exists, the renamed one gets nothing more.
    const renamed = bodies(`${file}.1`);
    await waitUntil(() => bodies(file).length >= 50);
    const sent = await publishing.stop();
    await waitUntil(() => bodies(`${file}.1`).length + bodies(file).length >= sent);

    expect(appearedMs).toBeLessThan(1_000);
    expect(bodies(`${file}.1`)).toEqual(renamed);
    expect([...renamed, ...bodies(file)]).toEqual(Array.from({ length: sent }, (_, i) => `line-${i}`));
    expect(sink.errors.total).toBe(0);
  });

  it("a removed file: a new <category>.log within 1 s that gets the lines from then on", async () => {
    const { logs } = await embeddedSink("remove-sink");
    const client = await bus.start("remove-client");
    const file = join(logs, "removed.log");
    const publishing = publishEvery5ms(client, "removed");
    await waitUntil(() => bodies(file).length >= 20);
    rmSync(file);
    const removedAt = performance.now();
    await waitUntil(() => existsSync(file), 3_000);
    const appearedMs = performance.now() - removedAt;
    await waitUntil(() => bodies(file).length >= 20);
    const sent = await publishing.stop();
    await waitUntil(() => bodies(file).at(-1) === `line-${sent - 1}`);

    expect(appearedMs).toBeLessThan(1_000);
    // The lines written between the removal and its discovery went into the removed file; the rest are here, in order.
    const first = Number(bodies(file)[0]!.slice("line-".length));
    expect(bodies(file)).toEqual(Array.from({ length: sent - first }, (_, i) => `line-${first + i}`));
  });
});
