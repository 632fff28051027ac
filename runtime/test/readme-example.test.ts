import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startLogSink } from "../src/index.js";
import { runTs } from "./helpers/child.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();
// Beside the other fixtures, so that its imports (zod) resolve as they do for them.
const example = fileURLToPath(new URL("./fixtures/readme-example.generated.ts", import.meta.url));
afterAll(() => rmSync(example, { force: true }));

describe("the README's example", () => {
  it("runs as written: the reply answers, the subscription logs through a log sink, the publisher feeds it", async () => {
    const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toContain("runService(");
    const source = fileURLToPath(new URL("../src/index.js", import.meta.url));
    writeFileSync(example, code!.replace('from "telestion-runtime"', `from ${JSON.stringify(source)}`));

    const dataDir = mkdtempSync(join(tmpdir(), "readme-example-"));
    const sink = await bus.start("readme-sink", { env: bus.env({ SERVICE_NAME: "readme-sink", DATA_DIR: dataDir }) });
    const files = startLogSink(sink);
    const service = runTs(example, bus.env({ SERVICE_NAME: "readme-example" }));
    await service.waitFor(/is running/);
    const client = await bus.start("readme-client");
    expect((await client.request("sensors.status")).json()).toMatchObject({ ok: true });
    const value = Math.random();
    client.publish("sensors.reading", { sensor: "t1", value });
    client.publish("sensors.reading", "not a reading");
    await service.waitFor(/handler for "sensors\.reading" failed: body on "sensors\.reading" is invalid/);
    await waitUntil(() => {
      files.flush();
      try {
        return readFileSync(`${files.dir}/readings.log`, "utf8").includes(JSON.stringify({ sensor: "t1", value }));
      } catch {
        return false;
      }
    });
    // The simulated sensor's readings, published every second, reach the subscription and the log.
    await waitUntil(() => {
      files.flush();
      try {
        return readFileSync(`${files.dir}/readings.log`, "utf8").includes('"sensor":"simulated"');
      } catch {
        return false;
      }
    });
    service.kill();
    expect(await service.exited).toBe(0);
  });
});
