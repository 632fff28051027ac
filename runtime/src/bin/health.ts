#!/usr/bin/env node
// Health probe: exit 0 when this instance is healthy, 1 with one line saying why otherwise.
//   telestion-health          readiness: this instance answers health within 0.5 s, alive (main thread
//                             running, its NATS connection up); Docker's HEALTHCHECK
//   telestion-health --live   liveness without NATS: this instance's process runs and its main thread
//                             refreshed its alive file within the stall bound; Kubernetes' livenessProbe
import { probeHealth, probeLive } from "../health-probe.js";
import { seconds } from "../liveness.js";
import { oneLine } from "../one-line.js";

const live = process.argv.includes("--live");
// The rest is configuration (--KEY=value), as for the service itself.
const argv = process.argv.slice(2).filter((arg) => arg !== "--live");

try {
  if (live) {
    const record = probeLive({ argv });
    console.log(`alive: ${record.service} (${record.name}), pid ${record.pid}, main thread ran ${seconds(Math.max(0, Date.now() - record.time))} ago`);
  } else {
    const report = await probeHealth({ argv });
    console.log(`healthy: ${report.service} (${report.name}), ${report.errors} recent error(s)`);
  }
} catch (err) {
  console.error(`unhealthy: ${oneLine(err)}`);
  process.exitCode = 1;
}
