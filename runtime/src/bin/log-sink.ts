#!/usr/bin/env node
// The standard operations log sink as a service of its own: DATA_DIR/logs/<category>.log.
import { startLogSink } from "../log-sink.js";
import { runService } from "../run.js";

await runService((service) => {
  startLogSink(service);
  console.error(`[log-sink] ${service.serviceId} writing to ${service.dataDir}/logs`);
});
