import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, Empty, errors, type NatsConnection } from "@nats-io/transport-node";
import { Svcm, type ServiceIdentity } from "@nats-io/services";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError, type Service } from "../src/index.js";
import { FALLBACK_VERSION, MICRO_VERBS, microName, servicePackage, type MicroVerb } from "../src/micro.js";
import { useTestBus } from "./helpers/services.js";

// The response schemas of jsm.go (see fixtures/micro-schemas/README.md for their origin).
const SCHEMA_DIR = join(import.meta.dirname, "fixtures", "micro-schemas");
const ajv = new Ajv({ strict: false });
addFormats.default(ajv);
const validators = Object.fromEntries(
  MICRO_VERBS.map((verb) => [verb, ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, `${verb.toLowerCase()}_response.json`), "utf8")) as object)]),
) as Record<MicroVerb, ReturnType<typeof ajv.compile>>;

/** `body` against jsm.go's schema for `verb`: passes, or fails with ajv's own words. */
function expectValid(verb: MicroVerb, body: unknown): void {
  const validate = validators[verb];
  expect(validate(body) ? [] : validate.errors).toEqual([]);
}

type Response = Record<string, unknown> & { id: string; name: string };

describe("jsm.go's schemas", () => {
  it("refuse what ADR-32 forbids: a name with a dot, a version that is not semver", () => {
    const ping = { type: "io.nats.micro.v1.ping_response", name: "micro-test", id: "x", version: "1.0.0", metadata: {} };
    expect(validators.PING(ping)).toBe(true);
    expect(validators.PING({ ...ping, name: "micro.test" })).toBe(false);
    expect(validators.PING({ ...ping, version: "1.0" })).toBe(false);
    expect(validators.STATS({ ...ping, type: "io.nats.micro.v1.stats_response", started: "yesterday", endpoints: [] })).toBe(false);
  });
});

describe("the micro naming rule", () => {
  it("keeps the generator's names and maps every other character to _", () => {
    expect(microName("sensor-reader-2")).toBe("sensor-reader-2");
    expect(microName("Sensor_Reader")).toBe("Sensor_Reader");
    expect(microName("@acme/sensor reader.v2")).toBe("_acme_sensor_reader_v2");
    expect(microName("sensors.*.temperature")).toBe("sensors___temperature");
    expect(microName("grüße")).toBe("gr__e");
    expect(microName("")).toBe("_");
  });
});

describe("the version and description discovery reports", () => {
  const root = mkdtempSync(join(tmpdir(), "micro-package-"));
  const project = join(root, "project");
  mkdirSync(join(project, "dist"), { recursive: true });
  mkdirSync(join(project, "node_modules", "tool", "bin"), { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ version: "1.2.3-rc.1", description: "Reads sensors" }));
  writeFileSync(join(project, "node_modules", "tool", "package.json"), JSON.stringify({ version: "9.9.9" }));

  it("come from the package.json nearest the entry script", () => {
    expect(servicePackage({}, join(project, "dist", "main.mjs"), root)).toEqual({ version: "1.2.3-rc.1", description: "Reads sensors" });
  });

  it("are what the service passed (a bundle or an executable has no package.json beside it), the file filling the gap", () => {
    expect(servicePackage({ version: "2.0.0", description: "Given" }, join(project, "dist", "main.mjs"), root)).toEqual({ version: "2.0.0", description: "Given" });
    expect(servicePackage({ version: "2.0.0" }, join(project, "dist", "main.mjs"), root)).toEqual({ version: "2.0.0", description: "Reads sensors" });
    expect(servicePackage({ version: "two", description: "" }, undefined, "/")).toEqual({ version: FALLBACK_VERSION, description: "" });
  });

  it("come from the working directory's when the entry is inside node_modules (a test runner, a tool)", () => {
    expect(servicePackage({}, join(project, "node_modules", "tool", "bin", "cli.js"), join(project, "dist"))).toEqual({
      version: "1.2.3-rc.1",
      description: "Reads sensors",
    });
  });

  it(`fall back to ${FALLBACK_VERSION} and no description when the version is not semver or there is no package.json`, () => {
    const loose = join(root, "loose");
    mkdirSync(loose);
    writeFileSync(join(loose, "package.json"), JSON.stringify({ version: "1.0", description: 42 }));
    expect(servicePackage({}, join(loose, "main.js"), loose)).toEqual({ version: FALLBACK_VERSION, description: "" });
    expect(servicePackage({}, undefined, "/")).toEqual({ version: FALLBACK_VERSION, description: "" });
  });
});

describe("NATS micro discovery against a real nats-server", () => {
  const bus = useTestBus();
  let client: NatsConnection;
  let service: Service;
  let name: string;
  let id: string;

  beforeAll(async () => {
    client = await connect({ servers: bus.nats.url, user: "telestion", pass: "bus-password" });
    service = await bus.start("micro-test");
    service.reply("sensor.read", (message) => {
      if (message.text() === "fail") throw new ServiceError(503, "sensor offline");
      return { celsius: 21 };
    });
    service.reply("sensor.calibrate", () => "ok", { queue: false });
    service.subscribe("sensor.log", () => undefined);
    name = "micro-test";
    id = service.serviceId;
    // Two successful requests and one that fails, for the statistics.
    await client.request("sensor.read", "a");
    await client.request("sensor.read", "b");
    await client.request("sensor.read", "fail");
  });
  afterAll(async () => {
    await client.close();
  });

  /** Every answer to a discovery request within `maxWait` ms; none when nobody listens. */
  async function askAll(subject: string, maxWait = 1_000): Promise<Response[]> {
    const answers: Response[] = [];
    try {
      for await (const msg of await client.requestMany(subject, Empty, { strategy: "timer", maxWait })) answers.push(msg.json<Response>());
    } catch (err) {
      if (!(err instanceof errors.NoRespondersError)) throw err;
    }
    return answers;
  }

  for (const verb of MICRO_VERBS) {
    it(`answers $SRV.${verb}, $SRV.${verb}.<name> and $SRV.${verb}.<name>.<id>, each valid against jsm.go's ${verb.toLowerCase()}_response schema`, async () => {
      const forms = [`$SRV.${verb}`, `$SRV.${verb}.${name}`, `$SRV.${verb}.${name}.${id}`];
      const answers = await Promise.all(forms.map((subject) => askAll(subject)));
      for (const [index, subject] of forms.entries()) {
        const ours = answers[index]!.filter((answer) => answer.id === id);
        expect(ours, subject).toHaveLength(1);
        expectValid(verb, ours[0]);
        expect(ours[0]).toMatchObject({ type: `io.nats.micro.v1.${verb.toLowerCase()}_response`, name, id, version: servicePackage().version });
        expect(ours[0]!.metadata).toEqual({ "telestion.service_name": "micro-test", "telestion.service_id": id });
      }
    });
  }

  it("INFO lists the reply handlers as endpoints, with their queue groups, and not the subscriptions", async () => {
    const info = (await client.request(`$SRV.INFO.${name}.${id}`)).json<Response & { endpoints: unknown[]; description: string }>();
    expect(info.description).toBe(servicePackage().description);
    expect(info.endpoints).toEqual(
      expect.arrayContaining([
        { name: "sensor_read", subject: "sensor.read", queue_group: "micro-test", metadata: {} },
        { name: "sensor_calibrate", subject: "sensor.calibrate", queue_group: "", metadata: {} },
      ]),
    );
    expect(info.endpoints).toHaveLength(2);
  });

  it("STATS counts each endpoint's requests, errors and processing time (ns)", async () => {
    const stats = (await client.request(`$SRV.STATS.${name}.${id}`)).json<Response & { started: string; endpoints: Record<string, unknown>[] }>();
    expectValid("STATS", stats);
    expect(Date.now() - Date.parse(stats.started)).toBeGreaterThanOrEqual(0);
    const read = stats.endpoints.find((e) => e.subject === "sensor.read")!;
    expect(read).toMatchObject({ name: "sensor_read", queue_group: "micro-test", num_requests: 3, num_errors: 1 });
    expect(read.last_error).toContain("sensor offline");
    expect(read.processing_time).toBeGreaterThan(0);
    expect(read.average_processing_time).toBe(Math.round((read.processing_time as number) / 3));
    const calibrate = stats.endpoints.find((e) => e.subject === "sensor.calibrate")!;
    expect(calibrate).toMatchObject({ queue_group: "", num_requests: 0, num_errors: 0, last_error: "", processing_time: 0, average_processing_time: 0 });
  });

  it("two instances of one service both answer PING, each with its own id", async () => {
    const first = await bus.start("micro-pair");
    const second = await bus.start("micro-pair");
    const answers = await askAll("$SRV.PING.micro-pair");
    expect(answers.map((a) => a.id).sort()).toEqual([first.serviceId, second.serviceId].sort());
    for (const answer of answers) expectValid("PING", answer);
  });

  it("maps a SERVICE_NAME with @scope, slash and dots, and the id made from it, to valid micro names", async () => {
    const scoped = await bus.start("@acme/sensor.reader.v2");
    const mappedId = microName(scoped.serviceId);
    expect(mappedId).toMatch(/^_acme_sensor_reader_v2-[0-9a-f]{8}$/);
    const answers = await askAll(`$SRV.INFO._acme_sensor_reader_v2.${mappedId}`);
    expect(answers).toHaveLength(1);
    expectValid("INFO", answers[0]);
    expect(answers[0]).toMatchObject({
      name: "_acme_sensor_reader_v2",
      id: mappedId,
      metadata: { "telestion.service_name": "@acme/sensor.reader.v2", "telestion.service_id": scoped.serviceId },
    });
  });

  // SERVICE_NAME may hold no whitespace (it names a queue group; config.ts refuses it), SERVICE_ID may.
  it("maps a SERVICE_ID with spaces and dots", async () => {
    const spaced = await bus.start("micro-spaced", { env: bus.env({ SERVICE_NAME: "micro-spaced", SERVICE_ID: "ground station 1.a" }) });
    const answers = await askAll("$SRV.PING.micro-spaced.ground_station_1_a");
    expect(answers).toHaveLength(1);
    expectValid("PING", answers[0]);
    expect(answers[0]).toMatchObject({ id: "ground_station_1_a", metadata: { "telestion.service_id": spaced.serviceId } });
  });

  it("a stopped instance no longer answers", async () => {
    const leaving = await bus.start("micro-leaving");
    expect(await askAll(`$SRV.PING.micro-leaving.${leaving.serviceId}`)).toHaveLength(1);
    await leaving.stop({ timeoutMs: 1_000 });
    expect(await askAll(`$SRV.PING.micro-leaving`, 300)).toEqual([]);
  });

  it("the nats.js micro client (@nats-io/services) lists the service, on our connection", async () => {
    const micro = new Svcm(client as unknown as ConstructorParameters<typeof Svcm>[0]).client();
    const found = async <T extends ServiceIdentity>(answers: Promise<AsyncIterable<T>>) => {
      const list: T[] = [];
      for await (const answer of await answers) list.push(answer);
      return list.filter((answer) => answer.id === id);
    };
    expect(await found(micro.ping())).toHaveLength(1);
    expect(await found(micro.ping(name, id))).toEqual([expect.objectContaining({ name, id, type: "io.nats.micro.v1.ping_response" })]);
    const [info] = await found(micro.info(name));
    expect(info!.endpoints.map((e) => e.subject).sort()).toEqual(["sensor.calibrate", "sensor.read"]);
    const [stats] = await found(micro.stats(name, id));
    expect(stats!.endpoints?.find((e) => e.subject === "sensor.read")).toMatchObject({ num_requests: 3, num_errors: 1 });
  });
});
