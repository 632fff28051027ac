#!/usr/bin/env node
// The standard operations log sink as a service of its own: DATA_DIR/logs/<category>.log.
import { startLogSink } from "../log-sink.js";
import { runService } from "../run.js";

await runService(async (service) => {
  startLogSink(service);
  // Announce only once the server has the subscription: a message published before that reaches no one.
  await service.nc.flush();
  console.error(`[log-sink] ${service.serviceId} writing to ${service.dataDir}/logs`);
});
