import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "./args.js";
import { NatsConnectError } from "./nats.js";
import { askedFor, programName, usage } from "./run-help.js";
import { startService, type Service, type StartOptions } from "./service.js";
import { onShutdownSignal } from "./shutdown.js";
import { oneLine } from "./one-line.js";

/** `version` is what `--version` prints (see StartOptions). */
export type RunOptions<Extra = unknown> = StartOptions<Extra>;

/**
 * What generated services call: starts the service, runs `main`, and stops cleanly on SIGTERM/SIGINT
 * (exit 0). A startup error is printed on one line (the stack only when DEBUG is set) and exits 1.
 * Once `main` has returned and the server has every subscription it made, it says the service runs.
 * `--help` and `--version` are answered (exit 0) before the configuration is read.
 */
export async function runService<Extra = unknown>(
  main: (service: Service<Extra>) => unknown,
  options: RunOptions<Extra> = {},
): Promise<Service<Extra>> {
  const argv = options.argv ?? process.argv.slice(2);
  const question = askedFor(argv);
  if (question === "help") {
    console.log(usage(programName()));
    process.exit(0);
  }
  if (question === "version") {
    if (options.version === undefined) return fail("no version known: pass runService(main, { version }) (a generated main.ts passes package.json's)");
    console.log(options.version);
    process.exit(0);
  }
  let service: Service<Extra>;
  try {
    // The same rule as resolveConfig's: the option, or --dev on the command line.
    const dev = options.dev === true || parseArgs(argv)["dev"] === true;
    service = dev ? await startWhenNatsIsUp(options) : await startService(options);
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

/** How often `--dev` tries the first connect again while no server listens. */
const DEV_RETRY_MS = 500;

/**
 * `--dev` only: while nothing listens at NATS_URL, try again, saying so once, so that `npm run dev`
 * started before nats-server goes on by itself. Refused credentials, a timeout (something that is not
 * NATS listens there) and every other error still fail at once.
 */
async function startWhenNatsIsUp<Extra>(options: StartOptions<Extra>): Promise<Service<Extra>> {
  let waiting = false;
  for (;;) {
    try {
      return await startService(options);
    } catch (err) {
      const server = unreachableServer(err);
      if (server === undefined) throw err;
      if (!waiting) console.error(`[telestion] waiting for NATS at ${server} (start it with: nats-server)`);
      waiting = true;
      await sleep(DEV_RETRY_MS);
    }
  }
}

/**
 * The server(s) of a connect error that found nothing listening (NatsConnectError has no reason
 * property, so its message is matched: connectNats words this case `cannot reach NATS server at <url> (`).
 * The URL in that message is already stripped of user info.
 */
function unreachableServer(err: unknown): string | undefined {
  if (!(err instanceof NatsConnectError)) return undefined;
  return /^cannot reach NATS server at (.+?) \(/.exec(err.message)?.[1];
}

/** Start-up errors come from the operator's configuration, not from publishers: room for a long path. */
const START_ERROR_CHARS = 2_000;

function fail(err: unknown): never {
  console.error(`error: ${oneLine(err, START_ERROR_CHARS)}`);
  if (process.env["DEBUG"] && err instanceof Error && err.stack) console.error(err.stack);
  process.exit(1);
}
