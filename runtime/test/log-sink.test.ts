import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLogLine, startLogSink } from "../src/index.js";
import { fixture, runTs } from "./helpers/child.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();
/** Text as raw bytes: the sink writes it as text, whatever rule encodes a string body. */
const text = (value: string) => new TextEncoder().encode(value);

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").slice(0, -1);
}

async function startSink(serviceName: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "log-sink-"));
  const sink = await bus.start(serviceName, { env: bus.env({ SERVICE_NAME: serviceName, DATA_DIR: dataDir }) });
  startLogSink(sink);
  await sink.nc.flush();
  return { sink, logs: join(dataDir, "logs"), dataDir };
}

describe("log client → log sink → file", () => {
  it("writes text and binary data, one line each, from both subject forms", async () => {
    const { logs } = await startSink("sink-basic");
    const client = await bus.start("sink-basic-client");
    client.log("telemetry", { temperature: 21.5 });
    client.log("telemetry", text("plain text"));
    client.log("binary", new Uint8Array([0, 1, 2, 255]));
    client.publish("__telestion__.log.dotted", text("dot form"));
    await client.nc.flush();

    const telemetry = join(logs, "telemetry.log");
    await waitUntil(() => lines(telemetry).length === 2 && lines(join(logs, "binary.log")).length === 1 && lines(join(logs, "dotted.log")).length === 1);
    const [first, second] = lines(telemetry);
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \{"temperature":21\.5\}$/);
    expect(second).toMatch(/ plain text$/);
    const binary = parseLogLine(lines(join(logs, "binary.log"))[0]!);
    expect([...binary.body]).toEqual([0, 1, 2, 255]);
    expect(lines(join(logs, "dotted.log"))[0]).toMatch(/ dot form$/);
  });

  it("refuses categories that would escape logs/, writes nothing for them and counts errors", async () => {
    const { sink, dataDir, logs } = await startSink("sink-traversal");
    const client = await bus.start("sink-traversal-client");
    // These reach the sink; NATS itself does not deliver subjects with empty tokens such as
    // "__telestion__/log/../x" (the unit tests cover ".." in categoryProblem).
    const delivered = ["__telestion__/log/a\\b", "__telestion__/log/", "__telestion__/log/x\u0000y", "__telestion__/log/c:\\x"];
    const dropped = ["__telestion__/log/../escaped", "__telestion__/log/..", "__telestion__.log.."];
    for (const subject of [...dropped, ...delivered]) client.nc.publish(subject, new TextEncoder().encode("should not be written"));
    client.log("fine", "written");
    await client.nc.flush();
    await waitUntil(() => lines(join(logs, "fine.log")).length === 1);
    await waitUntil(() => sink.errors.total === delivered.length);
    expect(readdirSync(logs)).toEqual(["fine.log"]);
    expect(readdirSync(dataDir)).toEqual(["logs"]);
    expect(existsSync(join(dataDir, "escaped.log"))).toBe(false);
    expect(() => client.log("../escaped", "x")).toThrow(/path separator/);
  });

  it("ignores unrelated traffic", async () => {
    const { sink, logs } = await startSink("sink-unrelated");
    const client = await bus.start("sink-unrelated-client");
    for (let i = 0; i < 100; i++) client.publish(`unrelated.subject.${i}`, "noise");
    client.publish("__telestion__/logs/not-a-category", "noise");
    client.log("marker", "end");
    await client.nc.flush();
    await waitUntil(() => lines(join(logs, "marker.log")).length === 1);
    expect(readdirSync(logs)).toEqual(["marker.log"]);
    expect(sink.errors.total).toBe(0);
  });

  it("keeps 10,000 concurrent messages as 10,000 intact lines, across categories, in order", async () => {
    const { logs } = await startSink("sink-burst");
    const clients = await Promise.all([bus.start("burst-a"), bus.start("burst-b")]);
    const body = (client: number, i: number) => ({ client, i, pad: "x".repeat(i % 300) });
    clients.forEach((client, c) => {
      for (let i = 0; i < 5_000; i++) client.log(i % 2 ? "burst-odd" : "burst-even", body(c, i));
    });
    await Promise.all(clients.map((client) => client.nc.flush()));
    const all = () => [...lines(join(logs, "burst-odd.log")), ...lines(join(logs, "burst-even.log"))];
    await waitUntil(() => all().length === 10_000, 20_000);
    const parsed = all().map((line) => JSON.parse(new TextDecoder().decode(parseLogLine(line).body)) as { client: number; i: number; pad: string });
    for (const entry of parsed) expect(entry.pad).toBe("x".repeat(entry.i % 300));
    for (const c of [0, 1]) {
      const odd = parsed.filter((e) => e.client === c && e.i % 2 === 1).map((e) => e.i);
      expect(odd).toEqual([...odd].sort((x, y) => x - y));
      expect(odd).toHaveLength(2_500);
    }
  });
});

describe("the telestion-log-sink executable", () => {
  it("flushes every pending line when stopped with SIGTERM right after a burst", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "log-sink-bin-"));
    const sink = runTs(fixture("log-sink.ts"), bus.env({ SERVICE_NAME: "log-sink", DATA_DIR: dataDir }));
    await sink.waitFor(/writing to/);
    const client = await bus.start("bin-burst-client");
    for (let i = 0; i < 10_000; i++) client.log("shutdown", { i });
    await client.nc.flush();
    sink.kill("SIGTERM");
    expect(await sink.exited).toBe(0);
    const written = lines(join(dataDir, "logs", "shutdown.log"));
    expect(written).toHaveLength(10_000);
    expect(JSON.parse(written[9_999]!.split(" ")[1]!)).toEqual({ i: 9_999 });
  });
});
