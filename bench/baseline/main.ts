// The baseline for benchmarks 2 and 7: a minimal Telestion service written by hand on the raw NATS client,
// with the same health contract as a generated service and nothing else (no config file, no validation,
// no error counting). The bench bundles it with the generated project's own esbuild setup.
import { connect } from "@nats-io/transport-node";
import { randomBytes } from "node:crypto";

const env = process.env;
const name = env["SERVICE_NAME"] ?? "baseline";
const id = env["SERVICE_ID"] || `${name}-${randomBytes(4).toString("hex")}`;
const user = env["NATS_USER"] || undefined;

const nc = await connect({
  servers: (env["NATS_URL"] ?? "localhost:4222").split(","),
  ...(user ? { user, pass: env["NATS_PASSWORD"] ?? "" } : {}),
  name: id,
  reconnect: true,
  maxReconnectAttempts: -1,
});

const encoder = new TextEncoder();
for (const subject of ["__telestion__/health", "__telestion__.health"]) {
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) msg.respond(encoder.encode(JSON.stringify({ errors: 0, service: id, name })));
    },
  });
}
await nc.flush();
console.log(`${id} is running (SERVICE_NAME ${name})`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void nc.drain().finally(() => process.exit(0));
  });
}
