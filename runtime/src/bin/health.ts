#!/usr/bin/env node
// Health probe for Docker's HEALTHCHECK: exit 0 when this service answers within 0.5 s, 1 otherwise.
import { probeHealth } from "../health-probe.js";
import { oneLine } from "../one-line.js";

try {
  const report = await probeHealth();
  console.log(`healthy: ${report.service} (${report.name}), ${report.errors} recent error(s)`);
} catch (err) {
  console.error(`unhealthy: ${oneLine(err)}`);
  process.exitCode = 1;
}
