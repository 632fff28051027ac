import { setTimeout as sleep } from "node:timers/promises";
import { startService, type Service, type StartOptions } from "./service.js";
import { onShutdownSignal } from "./shutdown.js";
import { oneLine } from "./one-line.js";

/**
 * What generated services call: starts the service, runs `main`, and stops cleanly on SIGTERM/SIGINT
 * (exit 0). A startup error is printed on one line (the stack only when DEBUG is set) and exits 1.
 * Once `main` has returned and the server has every subscription it made, it says the service runs.
 */
export async function runService<Extra = unknown>(
  main: (service: Service<Extra>) => unknown,
  options: StartOptions<Extra> = {},
): Promise<Service<Extra>> {
  let service: Service<Extra>;
  try {
    service = await startService(options);
  } catch (err) {
    return fail(err);
  }
  let stopping = false;
  onShutdownSignal(async (signal) => {
    stopping = true;
    console.error(`[telestion] ${signal}: stopping ${service.serviceId}`);
    await service.stop();
  });
  // A promise nobody awaited (a forgotten `await service.request(…)`) must not end the service:
  // Node's default is to exit 1. Report it, count it in health, go on.
  process.on("unhandledRejection", (reason) => {
    service.errors.record();
    console.error(`[telestion] unhandled promise rejection (a missing await?): ${oneLine(reason)}`);
  });
  if (options.nats !== false) {
    void service.nc.closed().then((err) => {
      if (!stopping) fail(err ?? new Error("the NATS connection closed"));
    });
  }
  try {
    await main(service);
    if (options.nats !== false) await roundTrip(service);
  } catch (err) {
    stopping = true;
    await service.stop({ timeoutMs: 1_000 }).catch(() => undefined);
    return fail(err);
  }
  console.log(`${service.serviceId} is running (SERVICE_NAME ${service.serviceName})`);
  return service;
}

/**
 * A round trip, so that once main has returned, the server has every subscription it made. A
 * disconnect meanwhile is no failure: the client re-subscribes on reconnect, so ask again until then.
 */
async function roundTrip(service: Service<unknown>): Promise<void> {
  for (;;) {
    try {
      return await service.nc.flush();
    } catch (err) {
      if (service.nc.isClosed()) throw err;
      await sleep(100);
    }
  }
}

/** Start-up errors come from the operator's configuration, not from publishers: room for a long path. */
const START_ERROR_CHARS = 2_000;

function fail(err: unknown): never {
  console.error(`error: ${oneLine(err, START_ERROR_CHARS)}`);
  if (process.env["DEBUG"] && err instanceof Error && err.stack) console.error(err.stack);
  process.exit(1);
}
