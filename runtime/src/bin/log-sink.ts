#!/usr/bin/env node
// The standard operations log sink as a service of its own: DATA_DIR/logs/<category>.log.
import { configuredServiceId, resolveConfig } from "../config.js";
import { logSinkName, startLogSink } from "../log-sink.js";
import { runService } from "../run.js";

// Started with --dev in a service's folder, it must not take that service's dev-<folder> name and group.
const DEV_SERVICE_NAME = "dev-log-sink";

/**
 * The command line, plus `--SERVICE_NAME=<logSinkName>` (and `--SERVICE_ID=`, when one is configured)
 * when SERVICE_NAME is not a sink's name already: started with a service's configuration (its .env, say),
 * the sink must not join that service's queue group nor answer health as that service. A sink's own
 * configuration (`log-sink`) stays as it is. Arguments rank above every other source, and go before a
 * `--` (after it they would not be read). A configuration that does not resolve is left to runService.
 */
function sinkArgv(argv: string[]): string[] {
  let resolved;
  try {
    resolved = resolveConfig({ argv, devServiceName: DEV_SERVICE_NAME });
  } catch {
    return argv;
  }
  if (logSinkName(resolved.serviceName) === resolved.serviceName) return argv;
  const id = configuredServiceId(resolved.config);
  const own = [`--SERVICE_NAME=${logSinkName(resolved.serviceName)}`, ...(id ? [`--SERVICE_ID=${logSinkName(id)}`] : [])];
  const end = argv.indexOf("--");
  return end < 0 ? [...argv, ...own] : [...argv.slice(0, end), ...own, ...argv.slice(end)];
}

await runService(
  async (service) => {
    // Its instances share the log lines in queue group logSinkName(SERVICE_NAME), its own name.
    startLogSink(service);
    // Announce only once the server has the subscriptions: a message published before that reaches no one.
    await service.nc.flush();
    console.error(`[log-sink] ${service.serviceId} writing to ${service.dataDir}/logs`);
  },
  { argv: sinkArgv(process.argv.slice(2)), devServiceName: DEV_SERVICE_NAME },
);
