// `telestion pub` for bulk work: --count, and bodies from stdin one per line, against a real
// nats-server with user and password, the CLI run as a child process.
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNatsServer, type NatsServer } from "../../../test-support/nats-server.js";
import { readLines, type Line } from "../../src/tool/read-lines.js";
import { runCli } from "./helpers/cli.js";

const PASSWORD = "bulk-secret-1234";
/** Small, so that a line over it is cheap to make. */
const MAX_PAYLOAD = 4_096;
let server: NatsServer;
let nc: NatsConnection;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startNatsServer({ auth: { user: "operator", password: PASSWORD }, config: [`max_payload: ${MAX_PAYLOAD}`] });
  env = { NATS_URL: server.url, NATS_USER: "operator", NATS_PASSWORD: PASSWORD };
  nc = await connect({ servers: server.url, user: "operator", pass: PASSWORD });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** Every message on `subject` while `during` runs, after a round trip that makes them all arrive. */
async function received(subject: string, during: () => Promise<unknown>): Promise<string[]> {
  const bodies: string[] = [];
  const sub = nc.subscribe(subject, { callback: (_err, msg: Msg) => void bodies.push(msg.string()) });
  await nc.flush(); // the server has the subscription before anything is sent
  await during();
  await nc.flush();
  sub.unsubscribe();
  return bodies;
}

describe("telestion pub - (bodies from stdin)", () => {
  it("1,000 lines arrive in order, each exactly once, from one process", async () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => JSON.stringify({ sensor: "t1", i, value: 20 + (i % 7) / 10 }));
    let result;
    const bodies = await received("bulk.readings", async () => {
      result = await runCli(["pub", "bulk.readings", "-"], { env, input: lines.join("\n") + "\n" });
    });
    expect(result).toMatchObject({ code: 0, stdout: "" });
    const bytes = lines.reduce((sum, line) => sum + line.length, 0);
    expect(result!.stderr).toBe(`published 1000 message(s), ${bytes} bytes, on bulk.readings\n`);
    expect(bodies).toEqual(lines);
  });

  it("line breaks \\n and \\r\\n, an empty line as an empty body, a last line without a break", async () => {
    let result;
    const bodies = await received("bulk.shapes", async () => {
      result = await runCli(["pub", "bulk.shapes", "-", "--count", "2"], { env, input: 'a\r\n\n{"b": 2}\nlast' });
    });
    expect(result).toMatchObject({ code: 0 });
    expect(bodies).toEqual(["a", "a", "", "", '{"b": 2}', '{"b": 2}', "last", "last"]);
  });

  it("a line longer than the server's max_payload is skipped and named by its number; the rest is sent; exit 1", async () => {
    const input = ["one", "x".repeat(MAX_PAYLOAD + 1), "three", "y".repeat(3 * MAX_PAYLOAD), "five"].join("\n");
    let result;
    const bodies = await received("bulk.long", async () => {
      result = await runCli(["pub", "bulk.long", "-"], { env, input });
    });
    expect(bodies).toEqual(["one", "three", "five"]);
    expect(result).toMatchObject({ code: 1 });
    expect(result!.stderr.split("\n")).toEqual([
      `line 2: ${MAX_PAYLOAD + 1} bytes, more than the server's max_payload (${MAX_PAYLOAD}): skipped`,
      `line 4: ${3 * MAX_PAYLOAD} bytes, more than the server's max_payload (${MAX_PAYLOAD}): skipped`,
      "published 3 message(s), 12 bytes, on bulk.long",
      "skipped 2 line(s) longer than the server's max_payload (named above): nothing else was lost",
      "",
    ]);
  });
});

describe("telestion pub --count", () => {
  it("sends the body N times", async () => {
    let result;
    const bodies = await received("bulk.count", async () => {
      result = await runCli(["pub", "bulk.count", '{"ping":1}', "-n", "2500"], { env });
    });
    expect(result).toMatchObject({ code: 0, stderr: "published 2500 message(s), 25000 bytes, on bulk.count\n" });
    expect(bodies).toHaveLength(2_500);
    expect(new Set(bodies)).toEqual(new Set(['{"ping":1}']));
  });

  it.each([["0"], ["-3"], ["many"], ["1.5"]])("--count %s is bad input, exit 2, nothing sent", async (count) => {
    let result;
    const bodies = await received("bulk.bad", async () => {
      result = await runCli(["pub", "bulk.bad", "x", `--count=${count}`], { env });
    });
    expect(result).toMatchObject({ code: 2, stderr: `telestion pub: --count needs a positive whole number, got "${count}"\n` });
    expect(bodies).toEqual([]);
  });
});

describe("readLines", () => {
  async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
  }
  const collect = async (text: string, size: number, max: number) => {
    const out: (string | { number: number; tooLong: number })[] = [];
    for await (const line of readLines(chunked(text, size), max)) {
      out.push("bytes" in line ? `${line.number}:${new TextDecoder().decode(line.bytes)}` : line);
    }
    return out;
  };

  it("the same lines whatever the chunks (a break or a \\r\\n split between chunks)", async () => {
    const text = "alpha\r\nbeta\n\ngamma ü\r\ndelta";
    const expected = ["1:alpha", "2:beta", "3:", "4:gamma ü", "5:delta"];
    for (const size of [1, 2, 3, 7, 1_000]) expect(await collect(text, size, 100), `chunks of ${size}`).toEqual(expected);
  });

  it("a line over the bound keeps no bytes: its number and size only, and the next line is whole", async () => {
    const kept: Line[] = [];
    // 256 MiB of one line in fresh 1 MiB chunks: kept, they would all be alive at the end; dropped, the
    // garbage collector frees them long before (V8 collects on external memory growth).
    async function* huge(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 256; i++) yield new Uint8Array(1 << 20).fill(0x78);
      yield new TextEncoder().encode("\nnext\n");
    }
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for await (const line of readLines(huge(), 100)) {
      kept.push(line);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(kept).toEqual([{ number: 1, tooLong: 1 << 28 }, { number: 2, bytes: expect.any(Uint8Array) }]);
    expect(new TextDecoder().decode((kept[1] as { bytes: Uint8Array }).bytes)).toBe("next");
    expect(await collect("abc\r\nabcd\r\n", 2, 3)).toEqual(["1:abc", { number: 2, tooLong: 4 }]);
    expect(peak).toBeLessThan(128 << 20);
  });
});
