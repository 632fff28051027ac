import { describe, expect, it } from "vitest";
import { startLogSink, type Message } from "../src/index.js";
import { useTestBus, waitUntil } from "./helpers/services.js";

const bus = useTestBus();

describe("overlapping registrations in one queue group", () => {
  it("are refused with one line naming both subjects and the way out", async () => {
    const service = await bus.start("overlap-refused");
    service.subscribe("sensors.>", () => undefined);
    expect(() => service.reply("sensors.get", () => "x")).toThrow(
      new Error(
        'subscription subject "sensors.>" and reply subject "sensors.get" overlap, and NATS hands each message of a ' +
          "queue group to only one handler, so each would miss some of the messages meant for it; narrow the wildcard " +
          'so that no subject matches both, or subscribe to "sensors.>" with { queue: false } if every instance must ' +
          'see every message (e.g. to keep state) (both are in queue group "overlap-refused")',
      ),
    );
    expect(() => service.subscribe("*.get", () => undefined)).toThrow(/"sensors\.>" and subscription subject "\*\.get" overlap/);
    expect(() => service.subscribe("sensors.>", () => undefined)).toThrow(/"sensors\.>" is given twice/);
  });

  it("are allowed in different queue groups, and then each handler gets every matching message", async () => {
    const service = await bus.start("overlap-own-groups");
    const client = await bus.start("overlap-own-groups-client");
    const all: string[] = [];
    service.subscribe("orders.>", (m) => void all.push(m.subject), { queue: false });
    service.reply("orders.get", () => "order");
    await service.nc.flush();
    for (let i = 0; i < 50; i++) expect((await client.request("orders.get")).json()).toBe("order");
    await waitUntil(() => all.length === 50);
  });

  it("a stateful service: telemetry.> without queue group beside a reply on telemetry.latest; two instances both answer with the latest readings", async () => {
    /** Keeps the latest reading per subject (state every instance must keep), answers requests for it (work for one). */
    const startStateful = async () => {
      const service = await bus.start("telemetry-state");
      const latest: Record<string, unknown> = {};
      service.subscribe(
        "telemetry.>",
        (m) => {
          if (m.subject !== "telemetry.latest") latest[m.subject] = m.json();
        },
        { queue: false },
      );
      service.reply("telemetry.latest", () => ({ instance: service.serviceId, latest }));
      await service.nc.flush();
      return { service, latest };
    };
    const instances = [await startStateful(), await startStateful()];
    const client = await bus.start("telemetry-state-client");
    for (let i = 0; i < 100; i++) client.publish(`telemetry.sensor${i % 3}`, { value: i });
    const expected = { "telemetry.sensor0": { value: 99 }, "telemetry.sensor1": { value: 97 }, "telemetry.sensor2": { value: 98 } };
    await waitUntil(() => instances.every(({ latest }) => JSON.stringify(latest) === JSON.stringify(expected)));
    const answeredBy = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const reply = (await client.request("telemetry.latest")).json() as { instance: string; latest: unknown };
      expect(reply.latest).toEqual(expected);
      answeredBy.add(reply.instance);
    }
    // The queue group shares the requests: both instances answered, each with every reading.
    expect([...answeredBy].sort()).toEqual(instances.map(({ service }) => service.serviceId).sort());
    expect(instances.map(({ service }) => service.errors.total)).toEqual([0, 0]);
  });

  it("non-overlapping subjects (the README's example) split nothing: every request is answered right", async () => {
    const service = await bus.start("readme-example");
    const client = await bus.start("readme-example-client");
    const readings: unknown[] = [];
    service.subscribe("sensors.>", (m) => void readings.push(m.json()));
    service.reply("status.get", () => ({ readings: readings.length }));
    await service.nc.flush();
    for (let i = 0; i < 100; i++) client.publish(`sensors.s${i % 5}`, { value: i });
    for (let i = 0; i < 100; i++) expect((await client.request("status.get")).json()).toHaveProperty("readings");
    await waitUntil(() => readings.length === 100);
    expect(service.errors.total).toBe(0);
  });
});

describe("only reply handlers reply", () => {
  it("a failing subscription handler never answers a request meant for another service's responder", async () => {
    const listener = await bus.start("only-reply-listener");
    const responder = await bus.start("only-reply-responder");
    const client = await bus.start("only-reply-client");
    listener.subscribe("audit.>", () => {
      throw new Error("the listener cannot parse this");
    });
    responder.reply("audit.query", () => "the real answer");
    await Promise.all([listener.nc.flush(), responder.nc.flush()]);
    for (let i = 0; i < 20; i++) expect((await client.request("audit.query")).json()).toBe("the real answer");
    await waitUntil(() => listener.errors.total === 20);
  });
});

describe("the runtime's own subjects stay out of user wildcards", () => {
  it("a '>' handler that logs is called once per message, and never for health or log subjects", async () => {
    const service = await bus.start("wildcard-logger");
    const client = await bus.start("wildcard-logger-client");
    const subjects: string[] = [];
    service.subscribe(">", (m: Message) => {
      subjects.push(m.subject);
      service.log("seen", { subject: m.subject });
    });
    service.subscribe("*", () => undefined, { queue: "single-token" });
    await service.nc.flush();
    client.publish("one.message", "x");
    await client.request("__telestion__/health");
    await client.request("__telestion__.health");
    await client.nc.flush();
    await service.nc.flush();
    await waitUntil(() => subjects.length >= 1);
    await client.request("__telestion__/health"); // a round trip later, still only the one message
    expect(subjects.filter((s) => !s.startsWith("_INBOX."))).toEqual(["one.message"]);
  });

  it("a '>' reply handler never answers NATS micro discovery: each $SRV.PING gets one reply, the runtime's", async () => {
    const service = await bus.start("wildcard-replier");
    const client = await bus.start("wildcard-replier-client");
    const asked: string[] = [];
    service.reply(">", (m: Message) => {
      asked.push(m.subject);
      return "not discovery";
    });
    await service.nc.flush();
    const inbox = client.nc.subscribe("_INBOX.discovery-test");
    const replies: unknown[] = [];
    void (async () => {
      for await (const m of inbox) replies.push(m.json());
    })();
    client.nc.publish("$SRV.PING.wildcard-replier", undefined, { reply: "_INBOX.discovery-test" });
    client.nc.publish("sensors.ping", undefined, { reply: "_INBOX.discovery-test" });
    await waitUntil(() => replies.length >= 2);
    await client.request("__telestion__/health"); // a round trip later, no third reply
    await client.nc.flush();
    expect(asked.filter((s) => !s.startsWith("_INBOX."))).toEqual(["sensors.ping"]);
    expect(replies).toHaveLength(2);
    expect(replies).toContainEqual("not discovery");
    expect(replies).toContainEqual(expect.objectContaining({ type: "io.nats.micro.v1.ping_response", name: "wildcard-replier" }));
  });

  it("an explicit __telestion__ subscription still gets them", async () => {
    const service = await bus.start("explicit-runtime-subject");
    const client = await bus.start("explicit-runtime-subject-client");
    const seen: string[] = [];
    service.subscribe("__telestion__.log.>", (m) => void seen.push(m.subject), { queue: false });
    await service.nc.flush();
    client.log("audit", "line");
    client.publish("__telestion__.log.dotted", "line");
    await waitUntil(() => seen.length === 1);
    expect(seen).toEqual(["__telestion__.log.dotted"]);
  });
});

describe("the log sink beside a service", () => {
  it("never takes the service's messages: its own queue group", async () => {
    const service = await bus.start("sink-neighbour");
    const client = await bus.start("sink-neighbour-client");
    let handled = 0;
    service.subscribe("sensors.x", () => {
      handled++;
      service.log("sink-neighbour", { handled });
    });
    startLogSink(service);
    await service.nc.flush();
    for (let i = 0; i < 1_000; i++) client.publish("sensors.x", i);
    await waitUntil(() => handled === 1_000);
  });
});
