#!/usr/bin/env node
// The standard operations log sink as a service of its own: DATA_DIR/logs/<category>.log.
import { startLogSink } from "../log-sink.js";
import { runService } from "../run.js";

await runService(
  async (service) => {
    // The sink is its own service: its instances share the log lines in its own queue group.
    startLogSink(service, { queue: service.serviceName });
    // Announce only once the server has the subscription: a message published before that reaches no one.
    await service.nc.flush();
    console.error(`[log-sink] ${service.serviceId} writing to ${service.dataDir}/logs`);
  },
  // Started with --dev in a service's folder, it must not take that service's dev-<folder> name and group.
  { devServiceName: "dev-log-sink" },
);
